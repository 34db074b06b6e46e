// Package load reads an environments file and validates it: against the file
// schema, each environment against its pattern, then the rules that span
// environments. What it returns is ready to plan; what it rejects comes back
// as diagnostics positioned in the user's file.
package load

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/cue/parser"
	cuejson "cuelang.org/go/encoding/json"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/schema"
)

// MaxFileSize caps the environments file: a real one is a few kilobytes.
const MaxFileSize = 4 << 20

// File is a validated environments file.
type File struct {
	Name   string    // as shown in messages
	Schema cue.Value // the compiled schema
	Value  cue.Value // the file unified with #File (defaults applied)
	Envs   []*Env    // sorted by name
	// Clusters are the declared clusters, sorted by name.
	Clusters []string
}

// Env is one environment unified with its pattern.
type Env struct {
	Name    string
	Pattern string
	Cluster string
	// Eval is #Patterns[pattern] with `in` and `ctx` filled: read `out`.
	Eval cue.Value
	// Raw is the environment as written, for positions.
	Raw cue.Value
}

// ReadFile reads and validates the environments file at path.
func ReadFile(path string) (*File, error) {
	data, err := readCapped(path)
	if err != nil {
		return nil, err
	}
	return Parse(diag.RelPath(path), data)
}

func readCapped(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return nil, err
	}
	if st.IsDir() {
		return nil, fmt.Errorf("%s: is a directory, not an environments file", path)
	}
	if st.Size() > MaxFileSize {
		return nil, diag.List{{Pos: diag.Pos{File: diag.RelPath(path)}, Message: fmt.Sprintf("file is %d bytes; the limit is %d", st.Size(), MaxFileSize)}}
	}
	return os.ReadFile(path)
}

// Parse validates data as the environments file named name. Diagnostics come
// back as a diag.List error.
func Parse(name string, data []byte) (*File, error) {
	ctx := cuecontext.New()
	sch, err := schema.Build(ctx)
	if err != nil {
		return nil, err
	}
	syntax, err := parseSyntax(name, data)
	if err != nil {
		return nil, err
	}
	doc := ctx.BuildFile(syntax)
	if err := doc.Err(); err != nil {
		return nil, toDiag(name, doc, err, nil)
	}
	return validate(name, sch, doc)
}

func parseSyntax(name string, data []byte) (*ast.File, error) {
	var (
		f   *ast.File
		err error
	)
	switch strings.ToLower(filepath.Ext(name)) {
	case ".json":
		var expr ast.Expr
		expr, err = cuejson.Extract(name, data)
		if err == nil {
			f, err = astFile(expr)
		}
	case ".cue":
		f, err = parser.ParseFile(name, data)
	default:
		f, err = cueyaml.Extract(name, data)
	}
	if err != nil {
		return nil, toDiag(name, cue.Value{}, err, nil)
	}
	return f, nil
}

func astFile(expr ast.Expr) (*ast.File, error) {
	switch x := expr.(type) {
	case *ast.StructLit:
		return &ast.File{Decls: x.Elts}, nil
	}
	return nil, fmt.Errorf("the environments file must be an object")
}

func validate(name string, sch, doc cue.Value) (*File, error) {
	var diags diag.List
	fileDef := sch.LookupPath(cue.MakePath(cue.Def("File")))
	v := fileDef.Unify(doc)
	if err := v.Validate(cue.Concrete(true)); err != nil {
		diags = append(diags, toDiag(name, doc, err, nil)...)
		return nil, diags
	}
	f := &File{Name: name, Schema: sch, Value: v}

	clusters := v.LookupPath(cue.ParsePath("clusters"))
	f.Clusters = fieldNames(clusters)

	envs := v.LookupPath(cue.ParsePath("environments"))
	rawEnvs := doc.LookupPath(cue.ParsePath("environments"))
	byCluster := map[string][]string{}
	for _, n := range fieldNames(envs) {
		ev := envs.LookupPath(cue.MakePath(cue.Str(n)))
		c, _ := ev.LookupPath(cue.ParsePath("cluster")).String()
		byCluster[c] = append(byCluster[c], n)
	}
	fileCharts := v.LookupPath(cue.ParsePath("charts"))
	if !fileCharts.Exists() {
		fileCharts = v.Context().CompileString("{}")
	}
	for _, n := range fieldNames(envs) {
		raw := rawEnvs.LookupPath(cue.MakePath(cue.Str(n)))
		pattern, _ := raw.LookupPath(cue.ParsePath("pattern")).String()
		cluster, _ := raw.LookupPath(cue.ParsePath("cluster")).String()
		e := &Env{Name: n, Pattern: pattern, Cluster: cluster, Raw: raw}
		ctxVal := v.Context().Encode(map[string]any{
			"name":           n,
			"firstOnCluster": len(byCluster[cluster]) > 0 && byCluster[cluster][0] == n,
		}).FillPath(cue.ParsePath("fileCharts"), fileCharts)
		pat := sch.LookupPath(cue.MakePath(cue.Def("Patterns"), cue.Str(pattern)))
		if !pat.Exists() {
			p := raw.LookupPath(cue.ParsePath("pattern"))
			diags.Errorf(fromToken(name, p.Pos()), "environments."+n+".pattern",
				"unknown pattern %q; known patterns: %s", pattern, strings.Join(Patterns(sch), ", "))
			continue
		}
		ev := pat.FillPath(cue.ParsePath("in"), raw).FillPath(cue.ParsePath("ctx"), ctxVal)
		envPath := []string{"environments", n}
		if err := ev.LookupPath(cue.ParsePath("in")).Validate(cue.Concrete(true)); err != nil {
			diags = append(diags, toDiag(name, doc, err, &rebase{from: "in", to: envPath, fallback: raw})...)
			continue
		}
		if err := ev.LookupPath(cue.ParsePath("out")).Validate(cue.Concrete(true)); err != nil {
			diags = append(diags, toDiag(name, doc, err, &rebase{from: "out", to: envPath, fallback: raw})...)
			continue
		}
		e.Eval = ev
		f.Envs = append(f.Envs, e)
	}
	diags = append(diags, crossChecks(f, v, doc)...)
	if diags.HasErrors() {
		return nil, diags
	}
	return f, nil
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

// Charts returns the file-level chart coordinates for a release key: the
// file's override, else apkgen's default.
func (f *File) Charts(key string) (name, version, repository string, err error) {
	r := f.Schema.LookupPath(cue.MakePath(cue.Def("ResolveChart"))).
		FillPath(cue.ParsePath("key"), key).
		FillPath(cue.ParsePath("env"), f.Value.Context().CompileString("{}"))
	if c := f.Value.LookupPath(cue.ParsePath("charts")); c.Exists() {
		r = r.FillPath(cue.ParsePath("file"), c)
	} else {
		r = r.FillPath(cue.ParsePath("file"), f.Value.Context().CompileString("{}"))
	}
	out := r.LookupPath(cue.ParsePath("out"))
	var c struct{ Name, Version, Repository string }
	if err := out.Decode(&c); err != nil {
		return "", "", "", err
	}
	return c.Name, c.Version, c.Repository, nil
}
