// Package schema embeds apkgen's CUE schemas: the environments file and, one
// file per deployment pattern, what each pattern computes.
package schema

import (
	"embed"
	"io/fs"
	"sort"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/parser"
	"cuelang.org/go/cue/token"
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
	inst := build.NewContext().NewInstance("apkgen", nil)
	for _, s := range Sources(extra...) {
		f, err := parser.ParseFile(s.Name, s.Data, parser.ParseComments)
		if err != nil {
			return cue.Value{}, err
		}
		if f.PackageName() != "apkgen" {
			return cue.Value{}, cueerrors.Newf(packagePos(s, f), "a policy file must start with `package apkgen`")
		}
		if err := inst.AddSyntax(f); err != nil {
			return cue.Value{}, err
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, err
	}
	return v, nil
}
