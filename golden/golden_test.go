package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/write"
)

var update = flag.Bool("update", false, "rewrite the golden trees from the current output")

// TestExamples compiles every example and compares the tree, file by file,
// with golden/<example>/.
func TestExamples(t *testing.T) {
	examples, err := filepath.Glob("../examples/*.yaml")
	if err != nil || len(examples) == 0 {
		t.Fatalf("no examples found: %v", err)
	}
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".yaml")
		t.Run(name, func(t *testing.T) {
			c, err := apkgen.Compile(ex)
			if err != nil {
				t.Fatalf("compile %s: %v", ex, err)
			}
			compareGolden(t, name, c.Tree, *update)
		})
	}
}

// TestExamplesFromCache: with a cache of its own, each example is built
// twice: the first build evaluates everything, builds each kustomize
// folder that is not alike one built before it, and fills the cache; the
// second reads everything from it. Both give the golden tree.
func TestExamplesFromCache(t *testing.T) {
	// The folders a first build builds: all but those whose builds read
	// the same bytes at the same relative paths as an earlier one (in
	// mixed, the infrastructure of nonprod and uat; in mixed-argocd, also
	// the per-cluster folders of the shared Applications).
	coldBuilt := map[string]int{"cp-dp-k8s": 5, "cp-vm-dp-k8s": 4, "dp-per-namespace": 4, "mixed": 9, "mixed-argocd": 16}
	if *update {
		t.Skip("-update writes the trees from uncached builds")
	}
	examples, _ := filepath.Glob("../examples/*.yaml")
	for _, ex := range examples {
		name := strings.TrimSuffix(filepath.Base(ex), ".yaml")
		t.Run(name, func(t *testing.T) {
			cache := buildcache.Open(t.TempDir())
			for _, warm := range []bool{false, true} {
				c, err := apkgen.CompileWith(ex, load.Options{Cache: cache})
				if err != nil {
					t.Fatalf("compile %s: %v", ex, err)
				}
				cache.Flush()
				compareGolden(t, name, c.Tree, false)
				wantEvaluated, wantBuilt := len(c.File.Envs), coldBuilt[name]
				if warm {
					wantEvaluated, wantBuilt = 0, 0
				}
				if c.File.Evaluated != wantEvaluated || c.Verified.Built != wantBuilt {
					t.Errorf("warm=%v: evaluated %d environments and built %d folders, want %d and %d",
						warm, c.File.Evaluated, c.Verified.Built, wantEvaluated, wantBuilt)
				}
			}
		})
	}
}

// compareGolden compares a tree with golden/<name>, file by file, or
// rewrites the golden tree.
func compareGolden(t *testing.T, name string, tr tree.Tree, update bool) {
	t.Helper()
	if update {
		if err := os.RemoveAll(name); err != nil {
			t.Fatal(err)
		}
		if _, err := write.Tree(name, tr); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := write.ReadOwned(name)
	if err != nil {
		t.Fatalf("read golden tree: %v (run go test ./golden/ -update)", err)
	}
	for _, p := range tr.Paths() {
		w, ok := want[p]
		switch {
		case !ok:
			t.Errorf("%s: generated but not in golden/%s", p, name)
		case !bytes.Equal(w, tr[p]):
			t.Errorf("%s: differs from golden/%s:\n--- want\n%s\n--- got\n%s", p, name, w, tr[p])
		}
	}
	for p := range want {
		if _, ok := tr[p]; !ok {
			t.Errorf("%s: in golden/%s but no longer generated", p, name)
		}
	}
}
