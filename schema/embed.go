// Package schema embeds apkgen's CUE schemas: the environments file and, one
// file per deployment pattern, what each pattern computes.
package schema

import (
	"embed"
	"fmt"
	"io/fs"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/internal/suggest"
)

// FS holds the CUE files of package apkgen.
//
//go:embed *.cue
var FS embed.FS

// Files returns the names of the embedded CUE files, sorted.
func Files() []string {
	names, _ := fs.Glob(FS, "*.cue")
	sort.Strings(names)
	return names
}

// Source is an extra CUE file of package apkgen, such as a team's policy.
type Source struct {
	Name string
	Data []byte
}

// Sources are the schema's sources: the embedded ones, then extra. Two
// schemas of the same sources evaluate alike.
func Sources(extra ...Source) []Source {
	return append(embedded(), extra...)
}

// embedded returns apkgen's own CUE files, sorted by name.
func embedded() []Source {
	var srcs []Source
	for _, name := range Files() {
		src, err := FS.ReadFile(name)
		if err != nil {
			panic(err) // embedded: cannot fail
		}
		srcs = append(srcs, Source{Name: "schema/" + name, Data: src})
	}
	return srcs
}

// InvalidCUE says of each syntax error of a CUE file that the file is not
// valid CUE, as apkgen says "invalid YAML" and "invalid JSON".
func InvalidCUE(err error) error {
	var out cueerrors.Error
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		out = cueerrors.Append(out, cueerrors.Newf(e.Position(), "invalid CUE: "+format, args...))
	}
	return out
}

// unusedDecls refuses a top-level field of a policy that constrains
// nothing: one that is neither a definition of apkgen's schema (#File,
// #Patterns, ...) nor referred to in the policies. CUE accepts it as a new
// field, so a misspelt #File, or rules written without one, would pass
// every file in silence.
func unusedDecls(own, policies []*ast.File) error {
	known := map[string]bool{}
	var defs []string
	for _, f := range own {
		for _, d := range f.Decls {
			if name, _, ok := topLabel(d); ok && !known[name] {
				known[name] = true
				defs = append(defs, name)
			}
		}
	}
	// used are the names the policies refer to: identifiers anywhere but
	// in a field's own name (a pattern [#Key] or a dynamic (#key) label
	// refers to what it names).
	used := map[string]bool{}
	var refer func(n ast.Node) bool
	refer = func(n ast.Node) bool {
		switch n := n.(type) {
		case *ast.Field:
			switch l := n.Label.(type) {
			case *ast.ListLit, *ast.ParenExpr, *ast.Interpolation:
				ast.Walk(l, refer, nil)
			}
			ast.Walk(n.Value, refer, nil)
			return false
		case *ast.Ident:
			used[n.Name] = true
		}
		return true
	}
	for _, f := range policies {
		ast.Walk(f, refer, nil)
	}
	var errs cueerrors.Error
	for _, f := range policies {
		for _, d := range f.Decls {
			name, pos, ok := topLabel(d)
			if !ok || known[name] || used[name] || strings.HasPrefix(name, "_") {
				continue
			}
			hint := ""
			if best := suggest.Closest(name, defs); best != "" {
				hint = fmt.Sprintf("; did you mean %s?", best)
			}
			what := "a definition apkgen's schema does not have, and the policy does not use it"
			if !strings.HasPrefix(name, "#") { // a quoted "#File" too
				what = "a field outside the schema's definitions (rules go under them, e.g. #File: environments: ...)"
			}
			errs = cueerrors.Append(errs, cueerrors.Newf(pos, "%s is %s, so its rules apply to nothing%s", name, what, hint))
		}
	}
	return errs
}

// topLabel is the name of a top-level field; a quoted one stays quoted,
// since "#File" is a regular field, not the definition #File.
func topLabel(d ast.Decl) (string, token.Pos, bool) {
	f, ok := d.(*ast.Field)
	if !ok {
		return "", token.NoPos, false
	}
	name, _, err := ast.LabelName(f.Label)
	if err != nil {
		return "", token.NoPos, false
	}
	if _, quoted := f.Label.(*ast.BasicLit); quoted {
		name = strconv.Quote(name)
	}
	return name, f.Label.Pos(), true
}

// packagePos is where a file's package clause is, else its start.
func packagePos(s Source, f *ast.File) token.Pos {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			return p.Pos()
		}
	}
	return token.NewFile(s.Name, -1, len(s.Data)+1).Pos(0, token.NoRelPos)
}

// Build compiles the embedded schema in ctx, with extra files unified in. A
// failure without extra files is a bug in apkgen.
func Build(ctx *cue.Context, extra ...Source) (cue.Value, error) {
	files, err := parse(extra)
	if err != nil {
		return cue.Value{}, err
	}
	return files.build(ctx)
}

// parsedFiles are the schema's files, parsed: apkgen's own and the extra
// ones (policies).
type parsedFiles struct {
	own, policies []*ast.File
}

// parse parses the embedded files and extra, each a file of package
// apkgen.
func parse(extra []Source) (parsedFiles, error) {
	var files parsedFiles
	srcs := Sources(extra...)
	ownCount := len(srcs) - len(extra)
	for i, s := range srcs {
		f, err := parser.ParseFile(s.Name, s.Data, parser.ParseComments)
		if err != nil {
			return parsedFiles{}, InvalidCUE(err)
		}
		if f.PackageName() != "apkgen" {
			return parsedFiles{}, cueerrors.Newf(packagePos(s, f), "a policy file must start with `package apkgen`")
		}
		if i < ownCount {
			files.own = append(files.own, f)
		} else {
			openEnvironmentStructs(f)
			files.policies = append(files.policies, f)
		}
	}
	return files, nil
}

// build compiles the files in ctx.
func (files parsedFiles) build(ctx *cue.Context) (cue.Value, error) {
	inst := build.NewContext().NewInstance("apkgen", nil)
	for _, f := range append(slices.Clip(files.own), files.policies...) {
		if err := inst.AddSyntax(f); err != nil {
			return cue.Value{}, err
		}
	}
	if len(files.policies) > 0 {
		if err := unusedDecls(files.own, files.policies); err != nil {
			return cue.Value{}, err
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, err
	}
	return v, nil
}
