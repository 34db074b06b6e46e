package write

import (
	"sort"

	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/tree"
)

// Drift is how the owned folder on disk differs from the tree a build would
// write there, each list sorted. Files under a Preserved path never appear:
// ReadOwned leaves them out.
type Drift struct {
	// Changed files are generated and on disk, with other content.
	Changed []string
	// Missing files are generated but not on disk.
	Missing []string
	// Stale files are on disk and carry apkgen's header, but the input no
	// longer generates them.
	Stale []string
	// Untracked files are on disk without apkgen's header: someone added
	// them by hand inside the folder apkgen owns, and a build removes them.
	Untracked []string
}

// Empty reports whether the folder on disk is exactly what a build writes.
func (d Drift) Empty() bool {
	return len(d.Changed)+len(d.Missing)+len(d.Stale)+len(d.Untracked) == 0
}

// Entry is one differing file and how it differs.
type Entry struct {
	Path string
	Kind string // "changed", "missing", "stale" or "untracked"
}

// Entries lists every differing file once, sorted by path.
func (d Drift) Entries() []Entry {
	var out []Entry
	for _, l := range []struct {
		kind  string
		paths []string
	}{{"changed", d.Changed}, {"missing", d.Missing}, {"stale", d.Stale}, {"untracked", d.Untracked}} {
		for _, p := range l.paths {
			out = append(out, Entry{Path: p, Kind: l.kind})
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out
}

// Compare tells how the files on disk (as ReadOwned returns them) differ
// from the tree a build would write. A file that would be removed is stale
// when apkgen wrote it and untracked when a person did: both count.
func Compare(old map[string][]byte, t tree.Tree) Drift {
	c := Diff(old, t)
	d := Drift{Changed: c.Modified, Missing: c.Added}
	for _, p := range c.Removed {
		if manifest.IsGenerated(old[p]) {
			d.Stale = append(d.Stale, p)
		} else {
			d.Untracked = append(d.Untracked, p)
		}
	}
	return d
}
