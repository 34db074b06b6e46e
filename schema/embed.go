// Package schema embeds apkgen's CUE schemas: the environments file and, one
// file per deployment pattern, what each pattern computes.
package schema

import (
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

// Build compiles the embedded schema in ctx. A failure is a bug in apkgen.
func Build(ctx *cue.Context) (cue.Value, error) {
	inst := build.NewContext().NewInstance("apkgen", nil)
	for _, name := range Files() {
		src, err := FS.ReadFile(name)
		if err != nil {
			return cue.Value{}, err
		}
		f, err := parser.ParseFile("schema/"+name, src, parser.ParseComments)
		if err != nil {
			return cue.Value{}, fmt.Errorf("schema: %w", err)
		}
		if err := inst.AddSyntax(f); err != nil {
			return cue.Value{}, fmt.Errorf("schema: %w", err)
		}
	}
	v := ctx.BuildInstance(inst)
	if err := v.Err(); err != nil {
		return cue.Value{}, fmt.Errorf("schema: %w", err)
	}
	return v, nil
}
