// Package buildcache remembers work apkgen has done before: the evaluation
// of an environment against its pattern, and the kustomize build of a
// folder. Each result is stored under a key that hashes everything the
// work depends on (the inputs, the schema, the library versions), as Go's
// build cache does, so a hit is the result the work would give again; a
// changed input is a new key, never a stale answer.
//
// The cache only saves time. One that cannot be opened, or an entry that
// cannot be read, is a miss; a failed store is ignored. Entries are checked
// against their checksum on every read, and old ones are trimmed as Go
// trims its own (github.com/rogpeppe/go-internal/cache is Go's cache).
package buildcache

import (
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"

	"github.com/rogpeppe/go-internal/cache"
)

// EnvVar names the folder of everything apkgen caches (pulled charts under
// charts/, results under results/); "off" turns caching off.
const EnvVar = "APKGEN_CACHE_DIR"

// format is mixed into every key. Change it when apkgen changes what it
// stores, or how it computes a stored result from the hashed inputs (e.g. a
// new input filled into a pattern).
const format = "apkgen-cache-2"

// Key identifies one piece of work.
type Key = cache.ActionID

// Cache is a folder of results. A nil *Cache is a cache that is off: Get
// misses and Put does nothing.
type Cache struct {
	c       *cache.Cache
	pending sync.WaitGroup
	slots   chan struct{} // bounds the stores running at once
}

// Root is the folder of everything apkgen caches: $APKGEN_CACHE_DIR, else
// apkgen under the user's cache folder. It is "" when caching is off or
// has nowhere to go.
func Root() string {
	if d := os.Getenv(EnvVar); d != "" {
		if d == "off" {
			return ""
		}
		return d
	}
	base, err := os.UserCacheDir()
	if err != nil {
		return ""
	}
	return filepath.Join(base, "apkgen")
}

// Dir is the folder of the results cache, "" when it is off.
func Dir() string {
	if r := Root(); r != "" {
		return filepath.Join(r, "results")
	}
	return ""
}

// Open opens (creating it if needed) the cache in dir. It returns nil, a
// cache that is off, when dir is "" or cannot be used.
func Open(dir string) *Cache {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil
	}
	c, err := cache.Open(dir)
	if err != nil {
		return nil
	}
	return &Cache{c: c, slots: make(chan struct{}, 4)}
}

// Get returns the data stored under key.
func (c *Cache) Get(key Key) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	data, _, err := c.c.GetBytes(key)
	return data, err == nil
}

// Put stores data under key in the background: Flush waits for it. The
// caller must not change data afterwards.
func (c *Cache) Put(key Key, data []byte) {
	if c == nil {
		return
	}
	c.pending.Add(1)
	go func() {
		defer c.pending.Done()
		c.slots <- struct{}{}
		defer func() { <-c.slots }()
		_ = c.c.PutBytes(key, data) // a failed store is a later miss
	}()
}

// Flush waits for the stores under way and trims the entries unused for
// days (at most once a day). The cache stays usable.
func (c *Cache) Flush() {
	if c == nil {
		return
	}
	c.pending.Wait()
	_ = c.c.Trim()
}

// NewKey hashes the kind of work, the versions of the modules that do it and
// the inputs, each length-prefixed so that no two lists of parts collide.
func NewKey(kind string, parts ...[]byte) Key {
	h := cache.NewHash(kind)
	write := func(b []byte) {
		var n [8]byte
		binary.LittleEndian.PutUint64(n[:], uint64(len(b)))
		h.Write(n[:])
		h.Write(b)
	}
	write([]byte(format))
	write([]byte(kind))
	write([]byte(moduleVersions()))
	for _, p := range parts {
		write(p)
	}
	return h.Sum()
}

// moduleVersions lists what, besides the hashed inputs, shapes a result:
// the Go release (CUE's regular expressions are Go's) and the modules that
// do the work (CUE evaluates the patterns, kustomize builds the folders).
// apkgen's own version is left out on purpose: its part of a result is in
// the inputs (the schema is hashed whole), so a rebuilt apkgen still hits.
var moduleVersions = sync.OnceValue(func() string {
	info, ok := debug.ReadBuildInfo()
	if !ok {
		return "unknown"
	}
	s := info.GoVersion
	for _, d := range info.Deps {
		switch d.Path {
		case "cuelang.org/go", "sigs.k8s.io/kustomize/api", "sigs.k8s.io/kustomize/kyaml":
			if d.Replace != nil {
				d = d.Replace
			}
			s += ";" + d.Path + "@" + d.Version
		}
	}
	return s
})
