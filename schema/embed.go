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
	"cuelang.org/go/cue/build"
	"cuelang.org/go/cue/parser"
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
			return cue.Value{}, fmt.Errorf("%s: a policy file must start with `package apkgen`", s.Name)
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
