package apkgen_test

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/write"
)

const mixed = "../../examples/mixed.yaml"

// TestDeterminism compiles examples/mixed.yaml twice, and a copy whose
// environments and clusters are listed in reverse order. Every tree, and
// every tree written to disk, must be byte-identical: a build that depends
// on map order would make GitOps diffs out of nothing. (The example is too
// small for several workers: TestDeterminismAtScale varies those.)
func TestDeterminism(t *testing.T) {
	reordered := reverseMaps(t, mixed, "environments", "clusters")
	runs := []struct{ name, file string }{
		{"first", mixed},
		{"again", mixed},
		{"reordered", reordered},
	}
	var first tree.Tree
	var firstDisk map[string][]byte
	for _, r := range runs {
		c, err := apkgen.Compile(r.file)
		if err != nil {
			t.Fatalf("%s: %v", r.name, err)
		}
		dir := filepath.Join(t.TempDir(), "deploy")
		if _, err := write.Tree(dir, c.Tree); err != nil {
			t.Fatalf("%s: write: %v", r.name, err)
		}
		disk, err := write.ReadOwned(dir)
		if err != nil {
			t.Fatal(err)
		}
		same(t, r.name+": on disk vs in memory", c.Tree, disk)
		if first == nil {
			if len(c.Tree) < 10 {
				t.Fatalf("%s: only %d files; is the example the one expected?", r.name, len(c.Tree))
			}
			first, firstDisk = c.Tree, disk
			continue
		}
		same(t, r.name+" vs "+runs[0].name, first, c.Tree)
		same(t, r.name+" vs "+runs[0].name+", on disk", firstDisk, disk)
	}
}

// same reports every path that is in only one of a and b, or differs.
func same(t *testing.T, what string, a, b map[string][]byte) {
	t.Helper()
	for p, ab := range a {
		bb, ok := b[p]
		switch {
		case !ok:
			t.Errorf("%s: %s missing from the second", what, p)
		case !bytes.Equal(ab, bb):
			t.Errorf("%s: %s differs:\n--- first\n%s\n--- second\n%s", what, p, ab, bb)
		}
	}
	for p := range b {
		if _, ok := a[p]; !ok {
			t.Errorf("%s: %s missing from the first", what, p)
		}
	}
}

// reverseMaps writes a copy of file, under the same name in a temporary
// folder, with the entries of the given top-level maps in reverse order.
func reverseMaps(t *testing.T, file string, keys ...string) string {
	t.Helper()
	src, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(src, &doc); err != nil {
		t.Fatal(err)
	}
	top := doc.Content[0]
	for _, key := range keys {
		i := slices.IndexFunc(top.Content, func(n *yaml.Node) bool { return n.Value == key })
		if i < 0 || i%2 != 0 {
			t.Fatalf("%s: no top-level %s", file, key)
		}
		m := top.Content[i+1]
		if len(m.Content) < 4 {
			t.Fatalf("%s: %s has fewer than two entries; reversing changes nothing", file, key)
		}
		var pairs [][]*yaml.Node
		for j := 0; j < len(m.Content); j += 2 {
			pairs = append(pairs, m.Content[j:j+2])
		}
		slices.Reverse(pairs)
		m.Content = slices.Concat(pairs...)
	}
	out, err := yaml.Marshal(&doc)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), filepath.Base(file))
	if err := os.WriteFile(path, out, 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

// TestDeterminismAtScale: 100 environments are enough for every stage to
// run on several goroutines (evaluation, generation, kustomize builds,
// writing), with and without the cache; the trees written must be the same.
func TestDeterminismAtScale(t *testing.T) {
	file := filepath.Join(t.TempDir(), "envs.yaml")
	if err := os.WriteFile(file, envgen.Generate(100), 0o644); err != nil {
		t.Fatal(err)
	}
	cache := buildcache.Open(t.TempDir())
	var first map[string][]byte
	for i, procs := range []int{1, 8, 8} {
		prev := runtime.GOMAXPROCS(procs)
		opts := load.Options{}
		if i > 0 {
			opts.Cache = cache // run 2 fills it, run 3 reads it
		}
		c, err := apkgen.CompileWith(file, opts)
		runtime.GOMAXPROCS(prev)
		cache.Flush()
		if err != nil {
			t.Fatal(err)
		}
		if i == 2 && c.File.Evaluated != 0 {
			t.Errorf("run 3 evaluated %d environments; the cache should have had them all", c.File.Evaluated)
		}
		dir := filepath.Join(t.TempDir(), "deploy")
		if _, err := write.Tree(dir, c.Tree); err != nil {
			t.Fatal(err)
		}
		disk, err := write.ReadOwned(dir)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = disk
			continue
		}
		same(t, fmt.Sprintf("run %d (GOMAXPROCS=%d) vs run 1", i+1, procs), first, disk)
	}
}
