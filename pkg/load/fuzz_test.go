package load

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/apkgen/apkgen/pkg/diag"
)

// FuzzParse: whatever the bytes, Parse neither panics nor hangs, and a
// rejection is always diagnostics, each at a line of the file and a
// column. The seed corpus (the examples and testdata/fuzz/FuzzParse) runs
// in every `go test`.
func FuzzParse(f *testing.F) {
	examples, _ := filepath.Glob("../../examples/*.yaml")
	for _, ex := range examples {
		b, err := os.ReadFile(ex)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, "yaml")
	}
	f.Add([]byte("a: &a [*a, *a]\nb: *a\n"), "yaml")
	// Syntax errors, whose positions yamlErrorPos searches for.
	f.Add([]byte("a: {b: 1, c: [2\nd: 'e\n"), "yaml")
	f.Add([]byte("a:\n  b: 1\n c: 2\n  - d\n"), "yaml")
	f.Add([]byte("a: {b: {} c: 1}\nd: *nope\n"), "yaml")
	// An unknown pattern, whose environment is still checked (checkCommon).
	f.Add([]byte("apiVersion: apkgen/v1alpha1\nkind: Environments\ngitops: {engine: flux, path: d}\nclusters: {c: {}}\n"+
		"environments:\n  e:\n    pattern: nope\n    cluster: c\n    hostnames: {gatway: X, system: 3}\n    tsl: {}\n    values: {wso2: {}}\n"), "yaml")
	f.Add([]byte("{\"apiVersion\": \"apkgen/v1alpha1\", \"kind\": \"Environments\"}"), "json")
	f.Add([]byte("apiVersion: \"apkgen/v1alpha1\"\nkind: \"Environments\"\nclusters: {}\nenvironments: {}\n"), "cue")
	f.Fuzz(func(t *testing.T, data []byte, format string) {
		name := "environments.yaml"
		switch format {
		case "json":
			name = "environments.json"
		case "cue":
			name = "environments.cue"
		}
		done := make(chan error, 1)
		go func() {
			_, err := Parse(name, data, Options{})
			done <- err
		}()
		var err error
		select {
		case err = <-done:
		case <-time.After(20 * time.Second):
			t.Fatalf("Parse did not return within 20s")
		}
		if err == nil {
			return
		}
		var list diag.List
		if !errors.As(err, &list) {
			t.Fatalf("rejection is not diagnostics: %T %v", err, err)
		}
		lines := bytes.Count(data, []byte("\n")) + 1
		for _, d := range list {
			if d.Pos.File != name {
				t.Fatalf("diagnostic without the file name: %v", d)
			}
			if d.Pos.Line < 1 || d.Pos.Line > lines || d.Pos.Col < 1 {
				t.Fatalf("diagnostic outside the file's %d lines: %v", lines, d)
			}
		}
	})
}
