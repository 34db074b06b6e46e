// Package load reads an environments file and validates it: the file
// schema section by section, each environment against its pattern, then the
// rules that span environments, so that one run reports every problem.
// What it returns is ready to plan; what it rejects comes back as
// diagnostics positioned in the user's file.
package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/schema"
)

// MaxFileSize caps the environments file: a real one is a few kilobytes.
const MaxFileSize = 1 << 20

// Options change how a file is validated.
type Options struct {
	// Policies are CUE files of package apkgen unified with the built-in
	// schema: a team's own rules.
	Policies []string
	// Strict makes warnings errors.
	Strict bool
	// ClaimsOnly evaluates each pattern with ctx.build false: every error
	// and warning is found, but Env.Out holds only the claims
	// (#OutputClaims: each release's chart, name and cluster-scoped
	// objects), not what a build writes. For validate, which is faster
	// for it.
	ClaimsOnly bool
	// Cache, when set, keeps each environment's evaluation: the next run
	// with the same schema and the same environment reads it back instead
	// of evaluating the pattern again.
	Cache *buildcache.Cache
	// OnEvaluate, when set, is called once as soon as load knows that it
	// will evaluate an environment (the cache is off, or misses one),
	// often long before it does: a build starts there, on a core the
	// file's parsing leaves idle, what its later steps need only when
	// something changed. It must return at once; it may be called from
	// another goroutine, and after the file turns out to be invalid.
	OnEvaluate func()
}

// evaluating calls opts.OnEvaluate, if any.
func (opts Options) evaluating() {
	if opts.OnEvaluate != nil {
		opts.OnEvaluate()
	}
}

// File is a validated environments file.
type File struct {
	Name   string    // as shown in messages
	Data   []byte    // the file's bytes
	Schema cue.Value // the compiled schema (with policies)
	// Value is the file with its environments emptied (each is in Envs),
	// unified with #File: gitops, charts and clusters with their defaults.
	Value cue.Value
	Envs  []*Env // sorted by name
	// Clusters are the declared clusters, sorted by name.
	Clusters []string
	// Bases are what every release of a chart key shares (#ReleaseBase),
	// as the environments' outputs are decoded.
	Bases map[string]model.ReleaseBase
	// Warnings are problems that do not stop a build (`--strict` makes
	// them errors).
	Warnings diag.List
	// Evaluated counts the environments evaluated in this run; the others
	// were read from the cache.
	Evaluated int
}

// Env is one environment unified with its pattern.
type Env struct {
	Name    string
	Pattern string
	Cluster string
	// In and Out are the pattern's input and output, decoded: no CUE
	// evaluation is kept per environment.
	In  model.Input
	Out model.Output
}

// InputError is a problem with a file apkgen was asked to read (missing,
// unreadable, too large): the user's input, so exit 2.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }
func (e *InputError) Unwrap() error { return e.Err }

// ErrNoFile is the error of ReadFile when the file does not exist.
var ErrNoFile = errors.New("no such file")

// ReadFile reads and validates the environments file at path.
func ReadFile(path string, opts Options) (*File, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	return Parse(diag.RelPath(path), data, opts)
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, &InputError{Err: fmt.Errorf("%s: %w", path, ErrNoFile)}
		}
		return nil, &InputError{Err: err}
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, &InputError{Err: fmt.Errorf("%s: is a folder, not an environments file", path)}
	}
	// Checked before reading too, so that a huge file is never read.
	if st.Size() > MaxFileSize {
		return nil, tooLarge(diag.RelPath(path))
	}
	return readAllCapped(f, diag.RelPath(path))
}

// readAllCapped reads r, never past the cap: a pipe or a device has no
// size to check beforehand.
func readAllCapped(r io.Reader, name string) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxFileSize+1))
	if err != nil {
		return nil, &InputError{Err: err}
	}
	if len(data) > MaxFileSize {
		return nil, tooLarge(name)
	}
	return data, nil
}

// Stdin is the name messages give an environments file read from standard
// input (`-f -`); it is read as YAML (JSON is YAML too).
const Stdin = "<stdin>"

// Read reads and validates an environments file from r (standard input),
// named Stdin in messages.
func Read(r io.Reader, opts Options) (*File, error) {
	data, err := readAllCapped(r, Stdin)
	if err != nil {
		return nil, err
	}
	return Parse(Stdin, data, opts)
}

func tooLarge(name string) diag.List {
	return diag.List{{Pos: diag.Pos{File: name},
		Message: fmt.Sprintf("the file is larger than %d bytes, the most an environments file may have", MaxFileSize)}}
}

// format tells the input format from the file name: .json, .cue, else YAML.
func format(name string) string {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		return "json"
	case ".cue":
		return "cue"
	}
	return "yaml"
}

// Parse validates data as the environments file named name. Diagnostics come
// back as a diag.List error.
func Parse(name string, data []byte, opts Options) (*File, error) {
	if len(data) > MaxFileSize {
		return nil, tooLarge(name)
	}
	fmtName := format(name)
	ctx := cuecontext.New()
	sch, syntax, policies, err := compileAndParse(ctx, name, data, fmtName, opts.Policies)
	if err != nil {
		return nil, err
	}
	if len(policies) > 0 {
		// A policy's own guards are checked now, not at the first
		// environment with values, which would place the error there.
		if err := checkGuards(sch, policies); err != nil {
			return nil, err
		}
	}
	if fmtName != "cue" {
		// Before CUE builds it (a file nested thousands deep takes
		// minutes), and before any cache read or OnEvaluate.
		if d := checkText(name, syntax); d.HasErrors() {
			return nil, d
		}
	}
	src := source{name: name, data: data, opts: opts, policies: policies, syntax: syntax}
	src.keyer = newKeyer(src)
	if src.keyer == nil {
		opts.evaluating() // nothing is read from the cache
	}
	src.prefetched = prefetch(src)
	// The credential scan of YAML and JSON reads the syntax tree while CUE
	// builds the value; that of a file in CUE reads the value.
	secretsDone := make(chan diag.List, 1)
	if fmtName != "cue" {
		go func() { secretsDone <- scanSecrets(name, syntax) }()
	}
	doc := ctx.BuildFile(syntax)
	if fmtName == "cue" {
		secretsDone <- scanValueSecrets(name, doc)
	}
	byName, err := compileFormats(sch)
	if err != nil {
		return nil, err
	}
	bases, err := readBases(sch)
	if err != nil {
		return nil, err
	}
	r := newReporter(name, doc, byName)
	r.policies = policyNames(policies)
	r.data = data
	if err := doc.Err(); err != nil {
		return nil, r.report(err, &scope{})
	}
	if d := checkTop(name, doc); d.HasErrors() {
		return nil, d
	}
	secrets := <-secretsDone
	r.secretPaths = map[string]bool{}
	for _, d := range secrets {
		r.secretPaths[d.Path] = true
	}
	src.bases = bases
	f, diags := validate(src, r, compiled{ctx, sch, doc})
	diags = append(withoutShadowed(diags), secrets...)
	if opts.Strict {
		for i := range diags {
			if diags[i].Severity == diag.Warning {
				diags[i].Severity = diag.Error
				diags[i].Message += " (--strict)"
			}
		}
	}
	if diags.HasErrors() {
		return nil, diags
	}
	f.Data = data
	f.Warnings = diags
	return f, nil
}

// withoutShadowed drops each warning about a field an error is about: a
// value that is not a map, under values:, is an error with Flux and a
// warning of #GuardedValues, and the error says what to do.
func withoutShadowed(diags diag.List) diag.List {
	errorAt := map[string]bool{}
	for _, d := range diags {
		if d.Severity != diag.Warning {
			errorAt[d.Path] = true
		}
	}
	return slices.DeleteFunc(diags, func(d diag.Diagnostic) bool {
		return d.Severity == diag.Warning && d.Path != "" && errorAt[d.Path]
	})
}

// compileAndParse checks the file's bytes (precheck), parses them and
// compiles the schema with the policies into ctx, overlapping what it can:
// the schema compiles while the file is checked and parsed (the parser
// touches no CUE context), and a file without '&' (hence without a YAML
// anchor, and without an alias bomb) is parsed while precheck runs; any
// other file reaches CUE's reader only once precheck passed it. Errors
// come in the order a user fixes them: the bytes, the policies, the syntax.
func compileAndParse(ctx *cue.Context, name string, data []byte, fmtName string, policyPaths []string) (cue.Value, *ast.File, []schema.Source, error) {
	type compiled struct {
		sch cue.Value
		err error
	}
	schemaDone := make(chan compiled, 1)
	policies, policyErr := readPolicies(policyPaths)
	if policyErr == nil {
		go func() {
			sch, err := buildCheckedSchema(ctx, policies)
			schemaDone <- compiled{sch, err}
		}()
	}
	type parsed struct {
		syntax *ast.File
		err    error
	}
	parseDone := make(chan parsed, 1)
	parse := func() {
		f, err := parseSyntax(name, data, fmtName)
		parseDone <- parsed{f, err}
	}
	early := !bytes.Contains(data, []byte("&"))
	if early {
		go parse()
	}
	onTree := astDuplicates(data, fmtName)
	if d := precheck(name, data, fmtName, onTree); d.HasErrors() {
		return cue.Value{}, nil, nil, d
	}
	if !early {
		parse()
	}
	p := <-parseDone
	if p.err == nil && onTree {
		if d := duplicateFields(name, p.syntax); d.HasErrors() {
			return cue.Value{}, nil, nil, d
		}
	}
	if policyErr != nil {
		return cue.Value{}, nil, nil, policyErr
	}
	c := <-schemaDone
	if c.err != nil {
		return cue.Value{}, nil, nil, c.err
	}
	if p.err != nil {
		return cue.Value{}, nil, nil, p.err
	}
	return c.sch, p.syntax, policies, nil
}

// readPolicies reads the --policy files.
func readPolicies(paths []string) ([]schema.Source, error) {
	var out []schema.Source
	for _, p := range paths {
		src, err := os.ReadFile(p)
		if err != nil {
			return nil, &InputError{Err: fmt.Errorf("--policy %s: %w", p, err)}
		}
		out = append(out, schema.Source{Name: diag.RelPath(p), Data: src})
	}
	return out, nil
}

// policyNames are the policy files' names as messages show them.
func policyNames(policies []schema.Source) []string {
	var names []string
	for _, s := range policies {
		names = append(names, s.Name)
	}
	return names
}

func buildSchema(ctx *cue.Context, policies []schema.Source) (cue.Value, error) {
	v, err := schema.Build(ctx, policies...)
	return v, inPolicies(err, policies)
}

// buildCheckedSchema is buildSchema for a run's first context: it also
// refuses a policy's field that the schema does not have
// (schema.BuildChecked), which the run's other contexts need not check
// again.
func buildCheckedSchema(ctx *cue.Context, policies []schema.Source) (cue.Value, error) {
	v, err := schema.BuildChecked(ctx, policies...)
	return v, inPolicies(err, policies)
}

// inPolicies is err as the policies' error (policyError), when there are
// policies: without them, the schema is apkgen's own.
func inPolicies(err error, policies []schema.Source) error {
	if err != nil && len(policies) > 0 {
		return policyError(err, policies)
	}
	return err
}

// policyError reports a policy file that does not compile, at its positions
// and with the schema path it breaks (e.g. #Patterns.dev.out.files.x): one
// line per place and path, as report's, so that a policy's value that none
// of the schema's alternatives accepts is one line, not one per
// alternative under a line without a position.
func policyError(err error, policies []schema.Source) error {
	names := policyNames(policies)
	var lines foldedLines
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if emptyDisj.MatchString(msg) {
			continue
		}
		pos := policyErrorPos(e, names)
		path := strings.Join(e.Path(), ".")
		l := lines.at(pos.String()+"\x00"+path, nil, diag.Diagnostic{Pos: pos, Path: path, Message: msg})
		if m := conflicting.FindStringSubmatch(msg); m != nil {
			l.conflicts = append(l.conflicts, m)
		}
	}
	var out diag.List
	for _, l := range lines.lines {
		if l.foldConflicts() {
			l.d.Message = l.mustBe(" to fit the schema")
		}
		out = append(out, l.d)
	}
	if len(out) == 0 {
		return &InputError{Err: err}
	}
	return out
}

// policyErrorPos is where a policy's error is: in a policy when one of its
// positions is, since CUE gives some errors (a field a closed definition
// does not allow) no position of their own.
func policyErrorPos(e cueerrors.Error, policies []string) diag.Pos {
	p, ok := posIn(e, policies...)
	if !ok {
		p = e.Position()
	}
	return fromToken(p.Filename(), p)
}

func parseSyntax(name string, data []byte, fmtName string) (*ast.File, error) {
	var (
		f   *ast.File
		err error
	)
	switch fmtName {
	case "json":
		var expr ast.Expr
		if expr, err = cuejson.Extract(name, data); err == nil {
			f = &ast.File{Filename: name, Decls: []ast.Decl{&ast.EmbedDecl{Expr: expr}}}
			if s, ok := expr.(*ast.StructLit); ok {
				f.Decls = s.Elts
			} // else checkTop says what the top must be, as for YAML
		}
	case "cue":
		if f, err = parser.ParseFile(name, data); err != nil {
			err = schema.InvalidCUE(err)
		}
	default:
		f, err = extractYAML(name, data)
	}
	if p := (readerPanic{}); errors.As(err, &p) {
		return nil, diag.List{{Pos: diag.Pos{File: name, Line: 1, Col: 1}, Message: p.Error()}}
	}
	if err != nil {
		return nil, syntaxErrors(name, data, err)
	}
	return f, nil
}

// extractYAML is CUE's YAML reader, whose panics (a bug of the reader, on
// text it should refuse) are readerPanic errors: apkgen reports them at
// the file, not crash.
func extractYAML(name string, data []byte) (f *ast.File, err error) {
	defer func() {
		if r := recover(); r != nil {
			f, err = nil, readerPanic{r}
		}
	}()
	return cueyaml.Extract(name, data)
}

type readerPanic struct{ value any }

func (p readerPanic) Error() string {
	return fmt.Sprintf("invalid YAML: CUE's YAML reader failed on this file (%v); please report it", p.value)
}

// Format is a #Formats entry: a regular expression and what it means.
type Format struct {
	Re, Says string
	re       *regexp.Regexp
}

// compileFormats reads #Formats by name and compiles each expression. A
// policy may add formats: one that does not compile is its error.
func compileFormats(sch cue.Value) (map[string]Format, error) {
	def := sch.LookupPath(cue.MakePath(cue.Def("Formats")))
	var fs map[string]Format
	_ = def.Decode(&fs)
	var bad diag.List
	// CUE's error names a format only by its regular expression: two
	// formats with one would say either's words.
	byRe := map[string]string{}
	for _, n := range slices.Sorted(maps.Keys(fs)) {
		if other, ok := byRe[fs[n].Re]; ok {
			at := def.LookupPath(cue.MakePath(cue.Str(n), cue.Str("re")))
			bad.Errorf(fromToken(at.Pos().Filename(), at.Pos()), "#Formats."+n+".re",
				"the same regular expression as #Formats.%s: an error could not say which format it means; write it another way", other)
		}
		byRe[fs[n].Re] = n
	}
	for n, f := range fs {
		re, err := regexp.Compile(f.Re)
		if err != nil {
			at := def.LookupPath(cue.MakePath(cue.Str(n), cue.Str("re")))
			bad.Errorf(fromToken(at.Pos().Filename(), at.Pos()), "#Formats."+n+".re", "not a regular expression: %v", err)
			continue
		}
		f.re = re
		fs[n] = f
	}
	if len(bad) > 0 {
		return nil, bad
	}
	return fs, nil
}

// readBases decodes #ReleaseBase, as the environments' outputs are decoded
// (so that equal numbers compare equal). Its values may hold no list: the
// Flux tree's base carries them, and an environment's strategic-merge
// patch may merge two lists instead of replacing one. A policy that adds
// one is refused at the list.
func readBases(sch cue.Value) (map[string]model.ReleaseBase, error) {
	def := sch.LookupPath(cue.MakePath(cue.Def("ReleaseBase")))
	var bad diag.List
	var walk func(v cue.Value, path string)
	walk = func(v cue.Value, path string) {
		if v.IncompleteKind() == cue.ListKind {
			bad.Errorf(fromToken(v.Pos().Filename(), v.Pos()), path,
				"a list cannot be in a release base's values: an environment's patch could merge it instead of replacing it")
			return
		}
		it, err := v.Fields()
		for err == nil && it.Next() {
			walk(it.Value(), path+"."+it.Selector().String())
		}
	}
	for _, key := range fieldNames(def) {
		walk(def.LookupPath(cue.MakePath(cue.Str(key), cue.Str("values"))), "#ReleaseBase."+key+".values")
	}
	if len(bad) > 0 {
		return nil, bad
	}
	data, err := def.MarshalJSON()
	var bases map[string]model.ReleaseBase
	if err == nil {
		err = jsonnum.Unmarshal(data, &bases)
	}
	if err != nil {
		return nil, fmt.Errorf("#ReleaseBase: %w", err)
	}
	return bases, nil
}

func validate(src source, r *reporter, c compiled) (*File, diag.List) {
	sch, doc := c.sch, c.doc
	var diags diag.List
	fileDef := sch.LookupPath(cue.MakePath(cue.Def("File")))
	top := &scope{schema: fileDef}

	// Unknown and missing sections.
	// The settings: the file with its environments emptied (each is
	// checked on its own), cheap to unify with #File.
	settings := emptyEnvironments(c.ctx, doc)
	diags = append(diags, r.checkOwnFields(settings, fileDef, nil, top)...)
	// Values, section by section, so that an error in one hides none in
	// another. CUE reports unknown and missing fields only while it has no
	// other error: a section it rejects is walked for them too (a section
	// it accepts has none).
	for _, sec := range allowedFields(fileDef, nil) {
		v := doc.LookupPath(cue.MakePath(cue.Str(sec)))
		if !v.Exists() || sec == "environments" && len(src.policies) == 0 && format(src.name) != "cue" && patternsPresent(v) {
			continue
		}
		def := fieldDef(fileDef, sec)
		if err := def.Unify(v).Validate(cue.Concrete(true)); err != nil {
			sc := &scope{prefix: []string{sec}, marker: sec, schema: def, at: v}
			diags = append(diags, r.reportAll(err, sc, r.checkFields(v, def, []string{sec}, top))...)
		}
	}
	if diags.HasErrors() && !doc.LookupPath(cue.ParsePath("environments")).Exists() {
		return nil, diags
	}
	sectionErrors := diags.HasErrors()

	f := &File{Name: r.name, Schema: sch, Bases: src.bases}
	clusters := doc.LookupPath(cue.ParsePath("clusters"))
	for _, c := range fieldNames(clusters) {
		diags = append(diags, r.checkName(c, []string{"clusters", c}, "name", "cluster")...)
		f.Clusters = append(f.Clusters, c)
	}

	envs := doc.LookupPath(cue.ParsePath("environments"))
	names := fieldNames(envs)
	if envs.Kind() == cue.StructKind && len(names) == 0 {
		// A bad merge that empties the map must not prune the whole tree.
		diags.Errorf(r.lookupPos([]string{"environments"}), "environments",
			"no environment: a build would remove every environment's files; declare at least one")
	}
	patterns := Patterns(sch)
	var tasks []envTask
	var named []string // the environments whose names are valid
	var guarded guards // read at the first environment with values
	for _, n := range names {
		envPath := []string{"environments", n}
		raw := envs.LookupPath(cue.MakePath(cue.Str(n)))
		// An environment whose name is wrong is not evaluated (the name
		// goes into what its pattern computes), but what it says is checked.
		nameOK := true
		if d := r.checkName(n, envPath, "envName", "environment"); len(d) > 0 {
			diags = append(diags, d...)
			nameOK = false
		} else if n == "base" {
			diags.Errorf(r.lookupPos(envPath), joinPath(envPath),
				`environment name "base" is reserved (apps/base holds the shared release bases)`)
			nameOK = false
		} else {
			named = append(named, n)
		}
		pv := raw.LookupPath(patternPath)
		pattern, err := pv.String()
		if err != nil {
			continue // reported by the environments section
		}
		if !slices.Contains(patterns, pattern) {
			diags.Errorf(fromToken(r.name, pv.Pos()), joinPath(append(envPath, "pattern")),
				"unknown pattern %q;%s known patterns: %s", pattern, suggest.Hint(pattern, patterns), strings.Join(patterns, ", "))
			diags = append(diags, r.checkCommon(c, raw, envPath)...)
			continue
		}
		if !nameOK {
			diags = append(diags, r.checkInput(c, raw, envPath, pattern)...)
			continue
		}
		if raw.LookupPath(valuesPath).Exists() {
			if guarded == nil {
				if guarded, err = readGuards(sch); err != nil {
					return nil, append(diags, diag.Diagnostic{Pos: diag.Pos{File: r.name}, Message: err.Error()})
				}
			}
			diags = append(diags, guarded.check(r, raw, envPath, pattern, src.bases)...)
		}
		cluster, _ := raw.LookupPath(clusterPath).String()
		tasks = append(tasks, envTask{name: n, pattern: pattern, cluster: cluster})
	}
	envs2, evaluated, envDiags, err := evaluate(src, r, c, sectionErrors, tasks)
	if err != nil {
		return nil, append(diags, diag.Diagnostic{Pos: diag.Pos{File: r.name}, Message: err.Error()})
	}
	diags = append(diags, envDiags...)
	f.Envs, f.Evaluated = envs2, evaluated
	if diags.HasErrors() {
		// Cross-environment rules on what is known so far, for a complete report.
		return nil, append(diags, crossChecks(r, f, partialEnvs(envs, named, envs2))...)
	}
	f.Value = fileDef.Unify(settings)
	diags = append(diags, crossChecks(r, f, nil)...)
	return f, diags
}

// partialEnvs are the named environments that did not evaluate, with
// what they say as written of the fields the cross-environment rules
// compare: a field that is not a string stays empty (its own error).
func partialEnvs(envs cue.Value, named []string, evaluated []*Env) []*Env {
	done := map[string]bool{}
	for _, e := range evaluated {
		done[e.Name] = true
	}
	var out []*Env
	for _, n := range named {
		if done[n] {
			continue
		}
		raw := envs.LookupPath(cue.MakePath(cue.Str(n)))
		str := func(path string) string {
			s, _ := raw.LookupPath(cue.ParsePath(path)).String()
			return s
		}
		e := &Env{Name: n, Pattern: str("pattern"), Cluster: str("cluster")}
		e.In.Namespace = str("namespace")
		e.In.Hostnames.Gateway, e.In.Hostnames.System = str("hostnames.gateway"), str("hostnames.system")
		out = append(out, e)
	}
	return out
}

// patternsPresent reports whether every environment is a mapping with a
// string pattern. For a file written as data (YAML, JSON), whose values
// are all concrete, that is exactly when the environments section passes
// apkgen's own #File (`[string]: {pattern!: string, ...}`; a policy may
// add to it), and the check is skipped:
// unifying the whole section evaluated every environment's data once more
// on the main goroutine before any was evaluated (30-40 ms of a validate
// of 1000 environments). A file in CUE may hold what is not concrete, and
// is always checked.
func patternsPresent(envs cue.Value) bool {
	it, err := envs.Fields()
	if err != nil {
		return false
	}
	for it.Next() {
		env := it.Value()
		if env.Kind() != cue.StructKind {
			return false
		}
		if _, err := env.LookupPath(patternPath).String(); err != nil {
			return false
		}
	}
	return true
}

// emptyEnvironments is the evaluated file with `environments: {}`: its
// other sections as evaluated (so that, in a file written in CUE, a
// section computed from the environments keeps its value).
func emptyEnvironments(ctx *cue.Context, doc cue.Value) cue.Value {
	empty := ctx.CompileString("{}")
	out := empty
	it, err := doc.Fields()
	if err != nil {
		return doc
	}
	for it.Next() {
		v := it.Value()
		if it.Selector().Unquoted() == "environments" {
			v = empty
		}
		out = out.FillPath(cue.MakePath(it.Selector()), v)
	}
	return out
}

// checkName checks a name the file uses as a key against a #Formats entry.
func (r *reporter) checkName(name string, path []string, format, what string) diag.List {
	var diags diag.List
	f, ok := r.byName[format]
	if !ok || f.re.MatchString(name) {
		return nil
	}
	diags.Errorf(r.lookupPos(path), joinPath(path), "%s name %q %s", what, name, f.Says)
	return diags
}

// Patterns lists the pattern ids the schema defines.
func Patterns(sch cue.Value) []string {
	return fieldNames(sch.LookupPath(cue.MakePath(cue.Def("Patterns"))))
}

// fieldNames returns the regular field names of a struct, sorted.
func fieldNames(v cue.Value) []string {
	var names []string
	it, err := v.Fields()
	if err != nil {
		return nil
	}
	for it.Next() {
		names = append(names, it.Selector().Unquoted())
	}
	sort.Strings(names)
	return names
}

// Charts returns the file-level chart coordinates per release key: the
// file's override, else apkgen's default (#FileCharts, which the patterns
// read too). Only a build needs them.
func (f *File) Charts() (map[string]model.Chart, error) {
	return resolveFileCharts(f.Schema, fileCharts(f.Value, false))
}

// PatternIDs lists the patterns of the built-in schema.
func PatternIDs() []string {
	sch, err := schema.Build(cuecontext.New())
	if err != nil {
		return nil
	}
	return Patterns(sch)
}

// checkInput checks an environment as written against its pattern's
// input definition, without computing the pattern's output.
func (r *reporter) checkInput(c compiled, raw cue.Value, envPath []string, pattern string) diag.List {
	inDef := patternIn(c.sch, pattern)
	if err := validateInput(c, inDef, raw); err != nil {
		return r.inputErrors(err, raw, inDef, envPath)
	}
	return nil
}

// patternIn is a pattern's input definition.
func patternIn(sch cue.Value, pattern string) cue.Value {
	return sch.LookupPath(cue.MakePath(cue.Def("Patterns"), cue.Str(pattern), cue.Str("in")))
}

// validateInput checks v against an input definition, placed under in as
// a pattern places its input, so that errors read as eval's do.
func validateInput(c compiled, def, v cue.Value) error {
	empty := c.ctx.CompileString("{}")
	return empty.FillPath(inPath, def).Unify(empty.FillPath(inPath, v)).LookupPath(inPath).Validate(cue.Concrete(true))
}

// inputErrors reports err, found checking an environment as written (raw)
// against its pattern's input definition inDef. CUE reports unknown and
// missing fields only while it has no other error: they are walked in Go
// for the complete list.
func (r *reporter) inputErrors(err error, raw, inDef cue.Value, envPath []string) diag.List {
	sc := &scope{prefix: envPath, marker: "in", schema: inDef, at: raw}
	return r.reportAll(err, sc, r.checkFields(raw, inDef, envPath, sc))
}

// checkCommon checks an environment whose pattern is unknown, so that a
// mistyped pattern hides none of its other mistakes: the fields every
// pattern has (#EnvCommon) are checked as usual, and a field no pattern
// has is unknown. A field of some patterns only is left alone: it may be
// the intended pattern's.
func (r *reporter) checkCommon(c compiled, raw cue.Value, envPath []string) diag.List {
	common := c.sch.LookupPath(cue.MakePath(cue.Def("EnvCommon")))
	var anyPattern []string
	for _, p := range Patterns(c.sch) {
		anyPattern = append(anyPattern, allowedFields(patternIn(c.sch, p), nil)...)
	}
	slices.Sort(anyPattern)
	anyPattern = slices.Compact(anyPattern)

	sc := &scope{prefix: envPath, marker: "in", schema: common, at: raw}
	in := c.ctx.CompileString("{}")
	var found diag.List
	suggested := map[string]bool{}
	for _, name := range fieldNames(raw) {
		p := append(slices.Clone(envPath), name)
		v := raw.LookupPath(cue.MakePath(cue.Str(name)))
		switch {
		case common.Allows(cue.Str(name)):
			in = in.FillPath(cue.MakePath(cue.Str(name)), v)
			found = append(found, r.checkFields(v, fieldDef(common, name), p, sc)...)
		case !slices.Contains(anyPattern, name):
			if meant := r.unknown(&found, p, anyPattern, "allowed in some pattern"); meant != "" {
				suggested[joinPath(append(slices.Clone(envPath), meant))] = true
			}
		}
	}
	// The fields every pattern requires; a typo already said which.
	for _, d := range r.checkOwnFields(in, common, envPath, sc) {
		if !suggested[d.Path] {
			found = append(found, d)
		}
	}
	if err := validateInput(c, common, in); err != nil {
		return r.reportAll(err, sc, found)
	}
	return found
}
