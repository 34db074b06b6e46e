package buildcache

import (
	"path/filepath"
	"testing"
)

func TestPutThenGet(t *testing.T) {
	c := Open(filepath.Join(t.TempDir(), "new", "folder"))
	if c == nil {
		t.Fatal("Open: cache is off")
	}
	key := NewKey("test", []byte("input"))
	if _, ok := c.Get(key); ok {
		t.Fatal("hit in an empty cache")
	}
	c.Put(key, []byte("result"))
	c.Flush()
	if data, ok := c.Get(key); !ok || string(data) != "result" {
		t.Errorf("Get = %q, %v; want result, true", data, ok)
	}
	// Empty results (a successful build) are results too.
	empty := NewKey("test", []byte("other"))
	c.Put(empty, nil)
	c.Flush()
	if data, ok := c.Get(empty); !ok || len(data) != 0 {
		t.Errorf("Get = %q, %v; want empty, true", data, ok)
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
	t.Setenv(EnvVar, "off")
	if Dir() != "" {
		t.Errorf("Dir() = %q with %s=off", Dir(), EnvVar)
	}
	t.Setenv(EnvVar, "/some/where")
	if Dir() != "/some/where/results" {
		t.Errorf("Dir() = %q, want $%s/results", Dir(), EnvVar)
	}
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
