// Package write puts a generated tree on disk, safely: it writes only into a
// folder apkgen owns (empty, or holding the marker), replaces it whole by
// building the new tree beside it and swapping it in, and so never leaves a
// half-written tree or touches anything outside that folder.
package write

import (
	"bytes"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"syscall"

	"github.com/apkgen/apkgen/internal/par"
	"github.com/apkgen/apkgen/pkg/tree"
)

// ErrNotOwned is returned for a folder that holds files but no marker.
var ErrNotOwned = errors.New("not owned by apkgen")

// NotOwnedError says which folder apkgen refused to write into.
type NotOwnedError struct{ Dir string }

func (e *NotOwnedError) Error() string {
	return fmt.Sprintf("%s: folder is not empty and was not created by apkgen (no %s file); "+
		"refusing to replace it. Choose another -o or gitops.path, or empty the folder", e.Dir, tree.Marker)
}

func (e *NotOwnedError) Unwrap() error { return ErrNotOwned }

// NestedError is an owned folder inside another (Inner inside Outer), one
// of which is the folder to write (Dir): a build of the outer one removes
// the inner one, every file of which it did not write.
type NestedError struct{ Dir, Inner, Outer string }

func (e *NestedError) Error() string {
	if e.Dir == e.Outer {
		return fmt.Sprintf("%s: holds %s, another folder apkgen owns (it has its own %s marker), which a build here would remove; "+
			"refusing to write it. Owned folders cannot nest: choose another -o or gitops.path", e.Outer, e.Inner, tree.Marker)
	}
	return fmt.Sprintf("%s: inside %s, another folder apkgen owns (it has a %s marker), whose builds would remove it; "+
		"refusing to write it. Owned folders cannot nest: choose another -o or gitops.path", e.Inner, e.Outer, tree.Marker)
}

// NotFolderError is an output folder that is a file, or inside one: a
// mistaken -o or gitops.path.
type NotFolderError struct{ Path string }

func (e *NotFolderError) Error() string {
	return fmt.Sprintf("%s: a file is in the way of the output folder; choose another -o or gitops.path", e.Path)
}

// InsideError is an input file (the environments file, a policy) inside
// the owned folder: a build removes every file there it did not write.
type InsideError struct{ File, Dir string }

func (e *InsideError) Error() string {
	return fmt.Sprintf("%s is inside %s, the folder apkgen owns: a build removes every file there it did not write; "+
		"keep the file outside that folder (e.g. beside it), or choose another -o or gitops.path", e.File, e.Dir)
}

// CheckOutside returns an *InsideError for the first of files that lies
// inside dir, links resolved (a file of clusters/*/flux-system, which
// builds leave alone, excepted); "-" (standard input) is skipped.
func CheckOutside(dir string, files ...string) error {
	realDir, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil // no folder (yet): nothing is inside it
	}
	if realDir, err = filepath.Abs(realDir); err != nil {
		return err
	}
	for _, f := range files {
		if f == "" || f == "-" {
			continue
		}
		// The file, and the place of its name: a link inside the folder to
		// a file outside it is removed by a build all the same.
		target, err := filepath.EvalSymlinks(f)
		if err != nil {
			continue // read before, or its own error when read
		}
		place, err := filepath.EvalSymlinks(filepath.Dir(f))
		if err != nil {
			continue
		}
		for _, p := range []string{target, filepath.Join(place, filepath.Base(f))} {
			if inside(realDir, p) {
				return &InsideError{File: f, Dir: dir}
			}
		}
	}
	return nil
}

// inside reports whether p is strictly inside dir (dir itself is a file in
// the way, said elsewhere) and not in a preserved folder.
func inside(dir, p string) bool {
	p, err := filepath.Abs(p)
	if err != nil {
		return false
	}
	rel, err := filepath.Rel(dir, p)
	if err != nil || rel == "." || rel == ".." || strings.HasPrefix(rel, ".."+string(filepath.Separator)) {
		return false
	}
	return !Preserved(filepath.ToSlash(rel))
}

// Preserved reports whether a path inside the owned folder belongs to
// someone else and survives every build: flux bootstrap writes its own
// manifests into clusters/<cluster>/flux-system.
func Preserved(p string) bool {
	parts := strings.Split(p, "/")
	return len(parts) >= 3 && parts[0] == "clusters" && parts[2] == "flux-system"
}

// Change summarises what a write did or would do, paths sorted.
type Change struct {
	Added, Modified, Removed []string
}

// Empty reports whether nothing changes.
func (c Change) Empty() bool { return len(c.Added)+len(c.Modified)+len(c.Removed) == 0 }

// ReadOwned reads the files of an owned folder (preserved paths excluded).
// A missing folder reads as empty. A folder with files but no marker is
// a *NotOwnedError; one inside another owned folder, or holding one, a
// *NestedError.
func ReadOwned(dir string) (map[string][]byte, error) {
	shown := dir
	dir = realPath(dir) // the walk below does not follow a link, even at its root
	if outer := ownedAbove(dir); outer != "" {
		return nil, &NestedError{Dir: shown, Inner: shown, Outer: outer}
	}
	st, err := os.Stat(dir)
	if errors.Is(err, fs.ErrNotExist) {
		return map[string][]byte{}, nil
	}
	if errors.Is(err, syscall.ENOTDIR) || err == nil && !st.IsDir() {
		return nil, &NotFolderError{Path: shown}
	}
	if err != nil {
		return nil, err
	}
	files := map[string][]byte{}
	if _, err := os.Stat(filepath.Join(dir, tree.Marker)); err != nil {
		// Not apkgen's, unless it holds nothing but flux-system: flux
		// bootstrap may run before the first build.
		some := false
		err := walkFiles(dir, shown, func(string, string, fs.DirEntry) error {
			some = true
			return filepath.SkipAll
		})
		var nested *NestedError
		if errors.As(err, &nested) {
			return nil, err
		}
		if err != nil || some {
			return nil, &NotOwnedError{Dir: shown}
		}
		return files, nil
	}
	err = walkFiles(dir, shown, func(rel, p string, _ fs.DirEntry) error {
		b, err := os.ReadFile(p)
		files[rel] = b
		return err
	})
	if err != nil {
		return nil, err
	}
	return files, nil
}

// walkFiles calls fn, in lexical order, for every file under dir but
// those of clusters/*/flux-system, which are someone else's, with its path
// relative to dir (slashed) and its full path. A marker below dir is a
// *NestedError: a build of dir would remove that other owned folder.
func walkFiles(dir, shown string, fn func(rel, p string, d fs.DirEntry) error) error {
	return filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && Preserved(rel+"/x") && strings.Count(rel, "/") == 2 {
				return filepath.SkipDir
			}
			return nil
		}
		if Preserved(rel) {
			return nil
		}
		if d.Name() == tree.Marker && rel != tree.Marker {
			return &NestedError{Dir: shown, Inner: filepath.Join(shown, filepath.Dir(rel)), Outer: shown}
		}
		return fn(rel, p, d)
	})
}

// ownedAbove returns the closest folder above dir that holds apkgen's
// marker, "" when none does. It looks no higher than the repository's
// root (the folder holding .git) or the filesystem's: a few stats.
func ownedAbove(dir string) string {
	d, err := filepath.Abs(dir)
	if err != nil {
		return ""
	}
	for !exists(filepath.Join(d, ".git")) {
		up := filepath.Dir(d)
		if up == d {
			return ""
		}
		if d = up; exists(filepath.Join(d, tree.Marker)) {
			return d
		}
	}
	return ""
}

// Diff compares the files on disk with a tree.
func Diff(old map[string][]byte, t tree.Tree) Change {
	var c Change
	for _, f := range tree.Diff(old, t) {
		switch f.Status {
		case tree.Added:
			c.Added = append(c.Added, f.Path)
		case tree.Modified:
			c.Modified = append(c.Modified, f.Path)
		case tree.Removed:
			c.Removed = append(c.Removed, f.Path)
		}
	}
	return c
}

// Tree replaces the owned folder dir with t. When nothing differs it writes
// nothing. The old folder is swapped out only after the new one is complete.
// When dir is a symbolic link, the folder it points to is replaced.
func Tree(dir string, t tree.Tree) (Change, error) {
	old, err := ReadOwned(dir)
	if err != nil {
		return Change{}, err
	}
	return Replace(dir, old, t)
}

// Replace is Tree for a caller that has just read the folder (ReadOwned):
// old is what it read.
func Replace(dir string, old map[string][]byte, t tree.Tree) (Change, error) {
	change := Diff(old, t)
	if change.Empty() {
		return change, nil
	}
	shown := dir
	dir = realPath(dir)
	created, err := mkdirParents(filepath.Dir(dir))
	if err != nil {
		return Change{}, err
	}
	suffix, err := randomSuffix()
	if err != nil {
		return Change{}, removeCreated(err, created)
	}
	next, prev := staging(dir, newKind, suffix), staging(dir, oldKind, suffix)
	if err := writeAll(next, t, dir, old); err != nil {
		os.RemoveAll(next)
		return Change{}, removeCreated(stagingError(err, shown), created)
	}
	if _, err := os.Stat(dir); errors.Is(err, fs.ErrNotExist) {
		if err := rename(next, dir); err != nil {
			os.RemoveAll(next)
			return Change{}, removeCreated(err, created)
		}
		return change, nil
	}
	// From here dir exists, so its parent did: nothing was created.
	// clusters/*/flux-system is moved, not copied: a rename keeps it
	// exactly, on every filesystem. Until the swap is done it is only in
	// next; a build stopped meanwhile leaves it there, and the next one
	// puts it back (Recover).
	moved, err := carryPreserved(dir, next)
	// abandon discards the new tree once the old one is whole again: the
	// flux-system folders carried into next go back first, and next is
	// kept when they cannot.
	abandon := func(err error) (Change, error) {
		if rerr := restorePreserved(moved, dir, next); rerr != nil {
			return Change{}, fmt.Errorf("%w; moving flux-system back into %s failed too (%v): it is in %s, and the next build puts it back", err, dir, rerr, next)
		}
		os.RemoveAll(next)
		return Change{}, err
	}
	if err != nil {
		return abandon(err)
	}
	if err := rename(dir, prev); err != nil {
		return abandon(err)
	}
	if err := rename(next, dir); err != nil {
		// Put the old tree back; the new one is discarded.
		if rerr := rename(prev, dir); rerr != nil {
			return Change{}, fmt.Errorf("%w; putting the old tree back failed too (%v): the old tree is in %s, the new one in %s; "+
				"the next build puts them back", err, rerr, prev, next)
		}
		return abandon(err)
	}
	if err := discard(prev); err != nil {
		return change, fmt.Errorf("new tree written; removing the old one at %s: %w (the next build removes it)", prev, err)
	}
	return change, nil
}

// stagingError says what failed writing the new tree beside dir: a
// permission error names the staging folder, which the user never named,
// so it is said in terms of dir.
func stagingError(err error, dir string) error {
	if errors.Is(err, fs.ErrPermission) {
		return fmt.Errorf("cannot write %s: permission denied in %s, where apkgen writes the new tree before swapping it in", dir, filepath.Dir(dir))
	}
	return err
}

// rename is os.Rename; tests replace it to fail a chosen swap.
var rename = os.Rename

// mkdirParents creates dir and its missing parents, and returns the
// topmost folder it created ("" when dir existed), for removeCreated.
func mkdirParents(dir string) (string, error) {
	top := ""
	for d := dir; ; d = filepath.Dir(d) {
		if _, err := os.Stat(d); err == nil || !errors.Is(err, fs.ErrNotExist) || filepath.Dir(d) == d {
			break
		}
		top = d
	}
	return top, os.MkdirAll(dir, 0o755)
}

// removeCreated removes the folders a failed write created and returns err.
func removeCreated(err error, created string) error {
	if created != "" {
		os.RemoveAll(created)
	}
	return err
}

// writeAll writes t under root. A file that the tree being replaced (from,
// read as old) holds unchanged is hard-linked from there instead of
// written (see reuse).
func writeAll(root string, t tree.Tree, from string, old map[string][]byte) error {
	paths := t.Paths()
	// The folders first, once each; then the files, several at a time:
	// creating files is mostly waiting for the filesystem.
	dirs := map[string]bool{root: true}
	for _, p := range paths {
		dirs[filepath.Dir(filepath.Join(root, filepath.FromSlash(p)))] = true
	}
	for _, d := range slices.Sorted(maps.Keys(dirs)) {
		if err := os.MkdirAll(d, 0o755); err != nil {
			return err
		}
	}
	errs := make([]error, len(paths))
	par.For(len(paths), fileWriters, func(_, i int) {
		rel, b := filepath.FromSlash(paths[i]), t[paths[i]]
		if was, ok := old[paths[i]]; ok && bytes.Equal(was, b) && reuse(from, root, rel, b) {
			return
		}
		errs[i] = os.WriteFile(filepath.Join(root, rel), b, 0o644)
	})
	for _, err := range errs {
		if err != nil {
			return err // the first, in path order
		}
	}
	return nil
}

// reuse hard-links the file rel of the tree being replaced (from) into the
// new one (to) when it is a plain, non-executable file holding b, and
// reports whether it did. On a disk, creating a file costs many times what
// linking one does (docs/benchmarks.md): a build that changes one
// environment of many would otherwise rewrite every file. The old tree
// stays whole until the swap. What the link holds is read back, so an edit
// to the old file since it was read is not carried into the new tree; a
// filesystem without hard links gets the file written.
func reuse(from, to, rel string, b []byte) bool {
	src, dst := filepath.Join(from, rel), filepath.Join(to, rel)
	st, err := os.Lstat(src)
	if err != nil || !st.Mode().IsRegular() || st.Mode().Perm()&0o111 != 0 || st.Size() != int64(len(b)) {
		return false
	}
	if link(src, dst) != nil {
		return false
	}
	if got, err := os.ReadFile(dst); err == nil && bytes.Equal(got, b) {
		return true
	}
	os.Remove(dst)
	return false
}

// link is os.Link; tests replace it to fail, as a filesystem without hard
// links does.
var link = os.Link

// fileWriters is how many files are written at once.
const fileWriters = 8

// carryPreserved moves clusters/*/flux-system from the old tree into the new
// one and returns the relative folders it moved.
func carryPreserved(from, to string) ([]string, error) {
	rels, err := preservedDirs(from)
	if err != nil {
		return nil, err
	}
	var moved []string
	for _, rel := range rels {
		if err := move(from, to, rel); err != nil {
			return moved, err
		}
		moved = append(moved, rel)
	}
	return moved, nil
}

// preservedDirs lists the clusters/*/flux-system folders of the tree root,
// relative to it.
// It lists the folders rather than globbing: root may hold glob characters.
func preservedDirs(root string) ([]string, error) {
	if st, err := os.Lstat(filepath.Join(root, "clusters")); err != nil || !st.IsDir() {
		return nil, nil
	}
	clusters, err := os.ReadDir(filepath.Join(root, "clusters"))
	if err != nil {
		return nil, err
	}
	var rels []string
	for _, c := range clusters {
		if !c.IsDir() {
			continue // a stray file under clusters/, or a link: not a cluster's folder
		}
		rel := filepath.Join("clusters", c.Name(), "flux-system")
		// Only a folder surely not there is left out: any other error is
		// the move's to say.
		if _, err := os.Lstat(filepath.Join(root, rel)); !errors.Is(err, fs.ErrNotExist) {
			rels = append(rels, rel)
		}
	}
	return rels, nil
}

// move renames the folder rel of the tree from to the same place in the
// tree to, making its parents there.
func move(from, to, rel string) error {
	dst := filepath.Join(to, rel)
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	return rename(filepath.Join(from, rel), dst)
}

// restorePreserved moves the folders carryPreserved moved back into dir.
func restorePreserved(moved []string, dir, next string) error {
	var errs []error
	for _, rel := range moved {
		errs = append(errs, rename(filepath.Join(next, rel), filepath.Join(dir, rel)))
	}
	return errors.Join(errs...)
}

// suffixBytes is how many random bytes name a build's staging folders.
const suffixBytes = 6

func randomSuffix() (string, error) {
	b := make([]byte, suffixBytes)
	if _, err := rand.Read(b); err != nil {
		return "", err
	}
	return hex.EncodeToString(b), nil
}

// Join makes the owned folder's path from the repository root and gitops.path.
func Join(root, gitopsPath string) string {
	return filepath.Join(root, filepath.FromSlash(path.Clean(gitopsPath)))
}
