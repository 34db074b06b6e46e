package apkgen_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/apkgen/apkgen/internal/syncbuf"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/write"
)

// A build, and a check, of a folder another run holds wait for it before
// reading the folder: a build of one started midway through another's
// would take its staging folders for leftovers, a check would see the
// folder missing while it is swapped.
func TestBuildWaitsForAnotherRun(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "deploy")
	file := "../../examples/mixed.yaml"
	for _, run := range []struct {
		name string
		run  func(log *syncbuf.Buffer) error
	}{
		{"build", func(log *syncbuf.Buffer) error {
			_, err := apkgen.Build(apkgen.BuildOptions{File: file, Root: root, Log: log})
			return err
		}},
		{"check", func(log *syncbuf.Buffer) error {
			_, err := apkgen.Check(apkgen.BuildOptions{File: file, Root: root, Log: log})
			return err
		}},
		{"diff", func(log *syncbuf.Buffer) error {
			_, err := apkgen.Diff(apkgen.DiffOptions{File: file, Root: root, Log: log})
			return err
		}},
	} {
		t.Run(run.name, func(t *testing.T) {
			unlock := write.Lock(dir, true, nil) // another build's
			defer unlock()
			var log syncbuf.Buffer
			done := make(chan error, 1)
			go func() { done <- run.run(&log) }()
			want := "apkgen: waiting for another apkgen run on " + dir + " to finish\n"
			for deadline := time.Now().Add(time.Minute); log.String() != want; time.Sleep(10 * time.Millisecond) {
				if time.Now().After(deadline) {
					t.Fatalf("log = %q, want %q", log.String(), want)
				}
				select {
				case err := <-done:
					t.Fatalf("ran beside another build: %v; log %q", err, log.String())
				default:
				}
			}
			unlock()
			if err := <-done; err != nil {
				t.Fatal(err)
			}
			if got := log.String(); strings.Count(got, "\n") != 1 {
				t.Errorf("log = %q", got)
			}
		})
	}
	if _, err := os.Stat(filepath.Join(dir, ".apkgen")); err != nil {
		t.Errorf("the build wrote nothing: %v", err)
	}
}
