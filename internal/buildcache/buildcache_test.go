package buildcache

import (
	"fmt"
	"hash/crc32"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

func TestPutThenGet(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "new", "folder")
	c := Open(dir)
	if c == nil {
		t.Fatal("Open: cache is off")
	}
	key := NewKey("test", []byte("input"))
	if _, ok := c.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put(key, []byte("result"))
	// Empty results (a successful build) are results too.
	empty := NewKey("test", []byte("other"))
	c.Put(empty, nil)
	c.Flush()
	for name, c := range map[string]*Cache{"the same run": c, "the next run": Open(dir)} {
		if data, ok := c.Get(key); !ok || string(data) != "result" {
			t.Errorf("%s: Get = %q, %v; want result, true", name, data, ok)
		}
		if data, ok := c.Get(empty); !ok || len(data) != 0 {
			t.Errorf("%s: Get = %q, %v; want empty, true", name, data, ok)
		}
		if _, ok := c.Get(NewKey("test", []byte("never stored"))); ok {
			t.Errorf("%s: a key never stored hit", name)
		}
	}
}

func TestOffCacheMissesAndIgnoresStores(t *testing.T) {
	var c *Cache // off
	c.Put(NewKey("test"), []byte("x"))
	c.Flush()
	if _, ok := c.Get(NewKey("test")); ok {
		t.Error("an off cache hit")
	}
	if Open("") != nil {
		t.Error(`Open("") is not off`)
	}
	if Open(filepath.Join(writeFile(t, t.TempDir(), "file", "x"), "cache")) != nil {
		t.Error("a folder that cannot be made is not off")
	}
	t.Setenv(EnvVar, "off")
	if Dir() != "" {
		t.Errorf("Dir() = %q with %s=off", Dir(), EnvVar)
	}
	t.Setenv(EnvVar, "/some/where")
	if Dir() != "/some/where/results" {
		t.Errorf("Dir() = %q, want $%s/results", Dir(), EnvVar)
	}
}

// A run that used only what the file holds leaves it as it is; one with
// new results writes it once, with what it used and what it did not.
func TestFlushWritesOnlyNewResults(t *testing.T) {
	dir := t.TempDir()
	a, b := NewKey("test", []byte("a")), NewKey("test", []byte("b"))
	run(dir, map[Key]string{a: "A"}, nil)
	before := stat(t, dir)
	run(dir, nil, []Key{a})
	if after := stat(t, dir); !os.SameFile(before, after) || !after.ModTime().Equal(before.ModTime()) {
		t.Error("a run with nothing new wrote the file")
	}
	run(dir, map[Key]string{b: "B"}, nil)
	if after := stat(t, dir); os.SameFile(before, after) {
		t.Error("a run with a new result did not write the file")
	}
	holds(t, dir, map[Key]string{a: "A", b: "B"}) // b's run did not use a
}

// Two runs that overlap each keep their results: the second to write
// reads again the file the first replaced.
func TestOverlappingRunsKeepBoth(t *testing.T) {
	dir := t.TempDir()
	run(dir, map[Key]string{NewKey("test", []byte("earlier")): "E"}, nil)
	first, second := Open(dir), Open(dir)
	a, b := NewKey("test", []byte("a")), NewKey("test", []byte("b"))
	first.Get(a) // both read the file before either writes
	second.Get(b)
	first.Put(a, []byte("A"))
	second.Put(b, []byte("B"))
	first.Flush()
	second.Flush()
	holds(t, dir, map[Key]string{a: "A", b: "B"})
}

// Runs at once, each storing its own result: every one is kept (the lock
// makes the read, merge and rename of each store one step).
func TestConcurrentRunsKeepAll(t *testing.T) {
	dir := t.TempDir()
	const runs = 8
	want := map[Key]string{}
	var wg sync.WaitGroup
	for i := range runs {
		k := NewKey("test", []byte{byte(i)})
		want[k] = fmt.Sprint(i)
		wg.Go(func() { run(dir, map[Key]string{k: fmt.Sprint(i)}, nil) })
	}
	wg.Wait()
	holds(t, dir, want)
}

// A result unused by maxAge runs that wrote the file is dropped; one used
// by any of them is kept.
func TestUnusedResultsAgeOut(t *testing.T) {
	dir := t.TempDir()
	old, kept := NewKey("test", []byte("old")), NewKey("test", []byte("kept"))
	run(dir, map[Key]string{old: "old", kept: "kept"}, nil)
	for i := range maxAge - 1 {
		run(dir, map[Key]string{NewKey("test", []byte{byte(i)}): "new"}, []Key{kept})
	}
	if _, ok := Open(dir).Get(old); !ok {
		t.Fatalf("a result unused for %d runs was dropped", maxAge-1)
	}
	run(dir, map[Key]string{NewKey("test", []byte("last")): "new"}, []Key{kept})
	c := Open(dir)
	if _, ok := c.Get(old); ok {
		t.Errorf("a result unused for %d runs was kept", maxAge)
	}
	if _, ok := c.Get(kept); !ok {
		t.Error("a result every run used was dropped")
	}
}

// Past the size limit the oldest results go first.
func TestTrimDropsTheOldest(t *testing.T) {
	s := &set{entries: map[Key]entry{}}
	for i, gen := range []uint64{3, 1, 2, 3} {
		s.entries[NewKey("test", []byte{byte(i)})] = entry{data: make([]byte, 68), gen: gen}
	}
	s.trim(2 * 100)
	if len(s.entries) != 2 {
		t.Fatalf("%d results left, want 2", len(s.entries))
	}
	for _, e := range s.entries {
		if e.gen != 3 {
			t.Errorf("generation %d kept over a newer one", e.gen)
		}
	}
}

// A damaged file is an empty cache, and the next run that stores writes
// it anew. A stopped run's temporary file is removed.
func TestDamagedFileIsEmpty(t *testing.T) {
	dir := t.TempDir()
	a := NewKey("test", []byte("a"))
	run(dir, map[Key]string{a: "A"}, nil)
	file := filepath.Join(dir, "results.bin")
	good, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	flipped := append([]byte(nil), good...)
	flipped[len(flipped)-crc32.Size-1] ^= 1 // "A" reads "@"
	for name, data := range map[string][]byte{
		"a flipped bit": flipped,
		"cut short":     good[:len(good)-1],
		"empty":         nil,
		"another file":  []byte("v1 some other cache's file\n"),
	} {
		if err := os.WriteFile(file, data, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, ok := Open(dir).Get(a); ok {
			t.Errorf("%s: hit", name)
		}
	}
	leftover := writeFile(t, dir, "results.bin.123.tmp", "half written")
	run(dir, map[Key]string{a: "A"}, nil)
	if data, ok := Open(dir).Get(a); !ok || string(data) != "A" {
		t.Errorf("after a damaged file, Get = %q, %v; want A", data, ok)
	}
	if _, err := os.Stat(leftover); !os.IsNotExist(err) {
		t.Errorf("a stopped run's temporary file is left: %v", err)
	}
}

// decode refuses what encode did not write, without panicking.
func FuzzDecode(f *testing.F) {
	s := &set{gen: 7, entries: map[Key]entry{
		NewKey("a"): {data: []byte("result"), gen: 6},
		NewKey("b"): {gen: 7},
	}}
	f.Add(s.encode())
	f.Add([]byte(magic))
	f.Fuzz(func(t *testing.T, data []byte) {
		gen, entries, err := decode(data)
		if err != nil {
			return
		}
		again := (&set{gen: gen, entries: entries}).encode()
		if _, entries2, err := decode(again); err != nil || len(entries2) != len(entries) {
			t.Errorf("a decoded file encodes to one that decodes differently: %v", err)
		}
	})
}

// Parts are length-prefixed: moving a byte from one part to the next, or
// changing the kind, is another key.
func TestKeysSeparateParts(t *testing.T) {
	keys := map[Key]string{}
	for name, k := range map[string]Key{
		"ab|c": NewKey("k", []byte("ab"), []byte("c")),
		"a|bc": NewKey("k", []byte("a"), []byte("bc")),
		"abc":  NewKey("k", []byte("abc")),
		"kind": NewKey("other", []byte("ab"), []byte("c")),
		"none": NewKey("k"),
		"nil":  NewKey("k", nil),
	} {
		if prev, ok := keys[k]; ok {
			t.Errorf("%s and %s have the same key", name, prev)
		}
		keys[k] = name
	}
	if a, b := NewKey("k", []byte("x")), NewKey("k", []byte("x")); a != b {
		t.Error("the same parts gave two keys")
	}
}

// run is one apkgen run on the cache in dir: it reads the keys of used,
// stores stored, and flushes.
func run(dir string, stored map[Key]string, used []Key) {
	c := Open(dir)
	for _, k := range used {
		c.Get(k)
	}
	for k, v := range stored {
		c.Put(k, []byte(v))
	}
	c.Flush()
}

// holds checks what the next run on the cache in dir reads.
func holds(t *testing.T, dir string, want map[Key]string) {
	t.Helper()
	c := Open(dir)
	for k, w := range want {
		if data, ok := c.Get(k); !ok || string(data) != w {
			t.Errorf("Get = %q, %v; want %q", data, ok, w)
		}
	}
}

func stat(t *testing.T, dir string) os.FileInfo {
	t.Helper()
	fi, err := os.Stat(filepath.Join(dir, "results.bin"))
	if err != nil {
		t.Fatal(err)
	}
	return fi
}

func writeFile(t *testing.T, dir, name, text string) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// A cache folder removed under a run is a failed store: Flush says nothing
// and creates nothing, and the run's results still serve it.
func TestFlushIntoRemovedFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c := Open(dir)
	key := NewKey("test", []byte("a"))
	c.Put(key, []byte("A"))
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	c.Flush()
	if _, err := os.Stat(dir); !os.IsNotExist(err) {
		t.Errorf("Flush made the removed folder again: %v", err)
	}
	if data, ok := c.Get(key); !ok || string(data) != "A" {
		t.Errorf("Get = %q, %v; want A", data, ok)
	}
}
