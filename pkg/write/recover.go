package write

import (
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/apkgen/apkgen/pkg/tree"
)

// A build writes the new tree beside the owned folder <name> as
// .<name>.apkgen-new-<random>, swaps the old one out as
// .<name>.apkgen-old-<random>, then removes it (Replace). A build stopped
// midway (killed, or unable to remove the old tree) leaves them there, and
// the new one may hold the user's clusters/*/flux-system: Recover puts
// things back.
const (
	newKind = "new"
	oldKind = "old"
)

// staging is the path of a build's new or old tree beside dir.
func staging(dir, kind, suffix string) string {
	return filepath.Join(filepath.Dir(dir), "."+filepath.Base(dir)+".apkgen-"+kind+"-"+suffix)
}

// stagingKind returns the kind of a staging folder of the owned folder
// base from its name, "" when name is not one.
func stagingKind(name, base string) string {
	s, ok := strings.CutPrefix(name, "."+base+".apkgen-")
	kind, suffix, _ := strings.Cut(s, "-")
	if _, err := hex.DecodeString(suffix); !ok || err != nil || len(suffix) != 2*suffixBytes || kind != newKind && kind != oldKind {
		return ""
	}
	return kind
}

// Leftovers lists the staging folders left beside the owned folder dir by
// builds that did not finish, sorted.
func Leftovers(dir string) []string {
	dir = realPath(dir)
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		return nil // no parent: nothing beside dir
	}
	var out []string
	for _, e := range entries {
		if e.IsDir() && stagingKind(e.Name(), filepath.Base(dir)) != "" {
			out = append(out, filepath.Join(filepath.Dir(dir), e.Name()))
		}
	}
	return out
}

// Recover undoes what builds that did not finish left beside the owned
// folder dir (Leftovers), and returns what it did, in sentences for
// people. When dir is missing (a build was stopped between its two
// renames), the old tree goes back. Every clusters/*/flux-system found in
// a leftover and missing from dir goes back into dir. Then each leftover
// is removed: what is left in it is apkgen's.
//
// A leftover holding a flux-system folder that dir holds too is kept, and
// said: which one is right is the user's call. Failing to put the user's
// folders back is an error, and the leftover stays: a build going on
// without them would commit a tree without flux-system, and Flux would
// prune itself from the cluster. Failing to remove a leftover is only
// said.
func Recover(dir string) ([]string, error) {
	dir = realPath(dir)
	left := Leftovers(dir)
	var notes []string
	if l := putBack(dir, left); l != "" {
		if err := rename(l, dir); err != nil {
			return notes, fmt.Errorf("%s is missing; putting back the tree a build that did not finish left in %s: %w", dir, l, err)
		}
		notes = append(notes, fmt.Sprintf("%s was missing: put back the tree in %s, which a build that did not finish had moved aside", dir, l))
	}
	for _, l := range left {
		if !exists(l) {
			continue // put back above
		}
		rels, err := preservedDirs(l)
		if err != nil {
			return notes, fmt.Errorf("%s, left by a build that did not finish, may hold clusters/*/flux-system: %w; move back into %s what is yours, then remove it", l, err, dir)
		}
		kept := false
		for _, rel := range rels {
			if exists(filepath.Join(dir, rel)) {
				kept = true
				notes = append(notes, fmt.Sprintf("warning: kept %s, left by a build that did not finish: it holds %s, and %s has one too; keep the right one in %s, then remove %s",
					l, rel, dir, dir, l))
				continue
			}
			if err := move(l, dir, rel); err != nil {
				return notes, fmt.Errorf("moving %s, left by a build that did not finish, back into %s: %w; it is still there", filepath.Join(l, rel), dir, err)
			}
			notes = append(notes, fmt.Sprintf("recovered %s from %s, where a build that did not finish had left it", filepath.Join(dir, rel), l))
		}
		if kept {
			continue
		}
		if err := discard(l); err != nil {
			notes = append(notes, fmt.Sprintf("warning: cannot remove %s, left by a build that did not finish: %v; it holds nothing of yours: remove it by hand", l, err))
			continue
		}
		notes = append(notes, fmt.Sprintf("removed %s, left by a build that did not finish", l))
	}
	return notes, nil
}

// putBack is the leftover that Recover puts back as the owned folder dir
// (links resolved): the first old tree that still has its marker, when dir
// is missing; "" otherwise. An old tree without its marker is one a build
// was removing.
func putBack(dir string, left []string) string {
	if _, err := os.Lstat(dir); !errors.Is(err, fs.ErrNotExist) {
		return ""
	}
	for _, l := range left {
		if stagingKind(filepath.Base(l), filepath.Base(dir)) == oldKind && exists(filepath.Join(l, tree.Marker)) {
			return l
		}
	}
	return ""
}

// ReadRecovered is ReadOwned of dir as Recover would leave it, read
// without recovering anything, so that a build refused after reading the
// folder leaves what a stopped build left as it is. Recovery changes what
// ReadOwned reads only by putting a missing folder back (putBack): its
// flux-system folders are not read, and the leftovers are beside dir.
func ReadRecovered(dir string) (map[string][]byte, error) {
	if l := putBack(realPath(dir), Leftovers(dir)); l != "" {
		return ReadOwned(l) // beside dir: inside the same folders
	}
	return ReadOwned(dir)
}

// discard removes an old tree, its marker first: an old tree without it
// is one being removed, which Recover never puts back.
func discard(old string) error {
	if err := os.Remove(filepath.Join(old, tree.Marker)); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return err
	}
	return removeAll(old)
}

// removeAll is os.RemoveAll; tests replace it to fail, or stop, the
// removal of an old tree.
var removeAll = os.RemoveAll

func exists(p string) bool {
	_, err := os.Lstat(p)
	return err == nil
}

// realPath is dir with links resolved. A link whose folder is missing
// resolves to where that folder belongs: a build stopped between its
// renames leaves it so, and the leftovers are beside the folder, not the
// link.
func realPath(dir string) string {
	if real, err := filepath.EvalSymlinks(dir); err == nil {
		return real
	}
	target, err := os.Readlink(dir)
	if err != nil {
		return dir
	}
	if !filepath.IsAbs(target) {
		target = filepath.Join(filepath.Dir(dir), target)
	}
	if parent, err := filepath.EvalSymlinks(filepath.Dir(target)); err == nil {
		return filepath.Join(parent, filepath.Base(target))
	}
	return target
}
