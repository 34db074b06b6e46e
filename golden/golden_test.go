package golden

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/apkgen"
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
			dir := name
			if *update {
				if err := os.RemoveAll(dir); err != nil {
					t.Fatal(err)
				}
				if _, err := write.Tree(dir, c.Tree); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := write.ReadOwned(dir)
			if err != nil {
				t.Fatalf("read golden tree: %v (run go test ./golden/ -update)", err)
			}
			for _, p := range c.Tree.Paths() {
				w, ok := want[p]
				switch {
				case !ok:
					t.Errorf("%s: generated but not in golden/%s", p, name)
				case !bytes.Equal(w, c.Tree[p]):
					t.Errorf("%s: differs from golden/%s:\n--- want\n%s\n--- got\n%s", p, name, w, c.Tree[p])
				}
			}
			for p := range want {
				if _, ok := c.Tree[p]; !ok {
					t.Errorf("%s: in golden/%s but no longer generated", p, name)
				}
			}
		})
	}
}
