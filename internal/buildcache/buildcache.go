// Package buildcache remembers work apkgen has done before: the evaluation
// of an environment against its pattern, and the kustomize build of a
// folder. Each result is stored under a key that hashes everything the
// work depends on (the inputs, the schema, the library versions), as Go's
// build cache does, so a hit is the result the work would give again; a
// changed input is a new key, never a stale answer.
//
// The results live in one file, not one file per result: a run reads it
// whole as it starts and, when it has results the file lacks, writes it
// again at its end with every result it used or computed and what earlier
// runs left that is still recent (set.go). A run over 1000 environments
// reads and writes one file instead of thousands; with Go's build cache
// (two files per result) the stores alone were about 10 % of validating
// 1000 environments from an empty cache.
//
// The cache only saves time. One that cannot be opened or written, or a
// file that fails its checksum, is a miss; a failed store is ignored.
package buildcache

import (
	"crypto/sha256"
	"encoding/binary"
	"os"
	"path/filepath"
	"runtime/debug"
	"sync"
)

// EnvVar names the folder of everything apkgen caches (pulled charts under
// charts/, results under results/); "off" turns caching off.
const EnvVar = "APKGEN_CACHE_DIR"

// format is mixed into every key. Change it when apkgen changes what it
// stores, or how it computes a stored result from the hashed inputs (e.g. a
// new input filled into a pattern).
const format = "apkgen-cache-3"

// Key identifies one piece of work.
type Key [sha256.Size]byte

// Cache is a folder of results. A nil *Cache is a cache that is off: Get
// misses and Put does nothing.
type Cache struct {
	dir    string
	loaded func() *set // the file as the run found it, read in the background

	mu   sync.Mutex
	used map[Key][]byte // what this run read or stored: the next file's newest
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

// Open opens (creating it if needed) the cache in dir and starts reading
// its results. It returns nil, a cache that is off, when dir is "" or
// cannot be created.
func Open(dir string) *Cache {
	if dir == "" {
		return nil
	}
	if err := os.MkdirAll(dir, 0o777); err != nil {
		return nil
	}
	c := &Cache{dir: dir, used: map[Key][]byte{}}
	done := make(chan *set, 1)
	go func() { done <- readSet(c.file()) }()
	c.loaded = sync.OnceValue(func() *set { return <-done })
	return c
}

// file is the file of results; lockFile is held while it is replaced.
func (c *Cache) file() string     { return filepath.Join(c.dir, "results.bin") }
func (c *Cache) lockFile() string { return filepath.Join(c.dir, "results.lock") }

// Get returns the data stored under key. It waits for the file to be read.
func (c *Cache) Get(key Key) ([]byte, bool) {
	if c == nil {
		return nil, false
	}
	c.mu.Lock()
	data, ok := c.used[key]
	loaded := c.loaded
	c.mu.Unlock()
	if ok {
		return data, true
	}
	e, ok := loaded().entries[key]
	if !ok {
		return nil, false
	}
	c.mu.Lock()
	c.used[key] = e.data
	c.mu.Unlock()
	return e.data, true
}

// Put stores data under key; Flush writes it. The caller must not change
// data afterwards.
func (c *Cache) Put(key Key, data []byte) {
	if c == nil {
		return
	}
	c.mu.Lock()
	c.used[key] = data
	c.mu.Unlock()
}

// Flush writes the results the file lacks, if any. The cache stays usable.
func (c *Cache) Flush() {
	if c == nil {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if next := c.loaded().store(c.file(), c.lockFile(), c.used); next != nil {
		c.loaded = func() *set { return next }
	}
}

// NewKey hashes the kind of work, the versions of the modules that do it and
// the inputs, each length-prefixed so that no two lists of parts collide.
func NewKey(kind string, parts ...[]byte) Key {
	h := sha256.New()
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
	var k Key
	h.Sum(k[:0])
	return k
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
