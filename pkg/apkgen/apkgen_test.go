package apkgen_test

import (
	"bytes"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/tree"
)

// TestWorkersDoNotChangeTheTree compiles a generated file with one worker
// (GOMAXPROCS=1) and with several: the trees must be byte-identical. The
// golden examples are too small to use more than one worker.
func TestWorkersDoNotChangeTheTree(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envs.yaml")
	if err := os.WriteFile(file, envgen.Generate(60), 0o644); err != nil {
		t.Fatal(err)
	}
	compile := func(procs int) tree.Tree {
		old := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(old)
		c, err := apkgen.Compile(file)
		if err != nil {
			t.Fatal(err)
		}
		return c.Tree
	}
	serial, parallel := compile(1), compile(4)
	if len(serial) != len(parallel) {
		t.Fatalf("%d files with one worker, %d with several", len(serial), len(parallel))
	}
	for p, b := range serial {
		if !bytes.Equal(b, parallel[p]) {
			t.Errorf("%s differs:\n--- one worker\n%s\n--- several\n%s", p, b, parallel[p])
		}
	}
}
