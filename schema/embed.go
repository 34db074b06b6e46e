// Package schema embeds apkgen's CUE schemas: the environments file and, one
// file per deployment pattern, what each pattern computes.
package schema

import (
	"crypto/sha256"
	"embed"
	"fmt"
	"io/fs"
	"sort"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/build"
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

// Digest hashes the schema's sources, the embedded ones and extra: two
// schemas with the same digest evaluate alike.
func Digest(extra ...Source) []byte {
	h := sha256.New()
	for _, s := range append(embedded(), extra...) {
		fmt.Fprintf(h, "%d:%s%d:", len(s.Name), s.Name, len(s.Data))
		h.Write(s.Data)
	}
	return h.Sum(nil)
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

// PackageError is an extra file that is not of package apkgen, so it
// would not be unified with the schema.
type PackageError struct {
	File string
	Pos  token.Pos // the package clause, when there is one
}

func (e *PackageError) Error() string {
	return "a policy file must start with `package apkgen`"
}

// packagePos is the position of f's package clause, else NoPos.
func packagePos(f *ast.File) token.Pos {
	for _, d := range f.Decls {
		if p, ok := d.(*ast.Package); ok {
			return p.Pos()
		}
	}
	return token.NoPos
}

// Build compiles the embedded schema in ctx, with extra files unified in. A
// failure without extra files is a bug in apkgen.
func Build(ctx *cue.Context, extra ...Source) (cue.Value, error) {
	inst := build.NewContext().NewInstance("apkgen", nil)
	for _, s := range append(embedded(), extra...) {
		f, err := parser.ParseFile(s.Name, s.Data, parser.ParseComments)
		if err != nil {
			return cue.Value{}, err
		}
		if f.PackageName() != "apkgen" {
			return cue.Value{}, &PackageError{File: s.Name, Pos: packagePos(f)}
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
