package write

import (
	"errors"
	"io/fs"
	"maps"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/tree"
)

// stop is what a simulated kill panics with.
type stop struct{}

// stopAtRename makes the nth rename from now on stop the write there, as
// a kill would: nothing after it runs, not even the write's own undoing.
func stopAtRename(t *testing.T, n int) {
	t.Cleanup(func() { rename = os.Rename })
	calls := 0
	rename = func(from, to string) error {
		if calls++; calls == n {
			panic(stop{})
		}
		return os.Rename(from, to)
	}
}

// stopRemoving makes the removal of the old tree stop the write.
func stopRemoving(t *testing.T) {
	t.Cleanup(func() { removeAll = os.RemoveAll })
	removeAll = func(string) error { panic(stop{}) }
}

// stopped runs f and reports whether a simulated kill stopped it.
func stopped(t *testing.T, f func() error) (was bool) {
	t.Helper()
	defer func() {
		if r := recover(); r != nil {
			if _, ok := r.(stop); !ok {
				panic(r)
			}
			was = true
		}
	}()
	if err := f(); err != nil {
		t.Fatal(err)
	}
	return false
}

// files is the files of a tree and the extra files, as wantFiles takes
// them together.
func files(tr tree.Tree, extra map[string]string) map[string]string {
	out := maps.Clone(extra)
	for p, b := range tr {
		out[p] = string(b)
	}
	return out
}

// TestTreeStoppedAnywhere: a build killed at any point (at each of its
// renames, or while it removes the old tree) loses nothing of the user's:
// Recover, which the next build runs first, puts clusters/*/flux-system
// back, and the tree is the old one or the new one, whole; the next write
// then goes through as if nothing had happened.
func TestTreeStoppedAnywhere(t *testing.T) {
	flux := map[string]string{
		"clusters/a/flux-system/gotk-sync.yaml": "sync a\n",
		"clusters/b/flux-system/gotk-sync.yaml": "sync b\n",
		"clusters/b/flux-system/sub/x.yaml":     "x\n",
	}
	next := newTree("clusters/a/apps-dev.yaml", "v2\n")
	for name, first := range map[string]tree.Tree{
		"replacing a tree":     newTree("clusters/a/apps-dev.yaml", "v1\n", "clusters/b/apps-dev.yaml", "v1\n"),
		"after flux bootstrap": {}, // no marker: the old tree is not put back, flux-system is
	} {
		t.Run(name, func(t *testing.T) {
			points := 0
			for n := 1; ; n++ {
				parent := t.TempDir()
				dir := filepath.Join(parent, "deploy")
				if len(first) > 0 {
					mustTree(t, dir, first)
				}
				for p, c := range flux {
					writeFile(t, filepath.Join(dir, p), c)
				}
				write := func() error { _, err := Tree(dir, next); return err }
				if n == 1 {
					stopRemoving(t) // the last point: every rename done
				} else {
					stopAtRename(t, n-1)
				}
				if !stopped(t, write) {
					break // n-1 is past the last rename
				}
				points++
				rename, removeAll = os.Rename, os.RemoveAll
				notes, err := Recover(dir)
				if err != nil || len(notes) == 0 {
					t.Fatalf("stop %d: Recover = %q, %v; want notes and no error", n, notes, err)
				}
				got := snapshot(t, dir)
				for p := range got {
					if strings.HasSuffix(p, "/") {
						delete(got, p)
					}
				}
				if !reflect.DeepEqual(got, files(first, flux)) && !reflect.DeepEqual(got, files(next, flux)) {
					t.Errorf("stop %d: recovered %v\nwant the old or the new tree, with %v", n, got, flux)
				}
				noTemp(t, dir)
				mustTree(t, dir, next)
				wantFiles(t, dir, next, flux)
			}
			// The removal, two carries, the old tree out, the new one in.
			if points < 5 {
				t.Errorf("stopped at %d points, want at least 5", points)
			}
		})
	}
}

// TestTreeStoppedThroughSymlink: a link to the owned folder, stopped
// between the swap's renames, points at nothing; Recover puts the folder
// back where the link points, beside which the leftovers are.
func TestTreeStoppedThroughSymlink(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "real", "deploy")
	link := filepath.Join(root, "deploy")
	first := newTree("apps/dev/a.yaml", "old\n")
	mustTree(t, target, first)
	flux := map[string]string{"clusters/c/flux-system/gotk-sync.yaml": "sync\n"}
	writeFile(t, filepath.Join(target, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	stopAtRename(t, 3) // flux-system carried, the old tree moved aside
	if !stopped(t, func() error { _, err := Tree(link, newTree("apps/dev/a.yaml", "new\n")); return err }) {
		t.Fatal("not stopped")
	}
	if exists(target) {
		t.Fatal("the folder is there: not stopped mid-swap")
	}
	rename = os.Rename
	if _, err := Recover(link); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symbolic link (err %v)", link, err)
	}
	wantFiles(t, target, first, flux)
	noTemp(t, target)
}

// leftover makes a staging folder of dir holding the given files.
func leftover(t *testing.T, dir, kind string, files map[string]string) string {
	t.Helper()
	l := staging(dir, kind, "0123456789ab")
	if err := os.MkdirAll(l, 0o755); err != nil {
		t.Fatal(err)
	}
	for p, c := range files {
		writeFile(t, filepath.Join(l, p), c)
	}
	return l
}

// TestRecoverKeepsBoth: a flux-system folder both in the owned folder and
// in a leftover (flux bootstrap run again after a build lost it) stays in
// both places, and Recover says so.
func TestRecoverKeepsBoth(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a\n"))
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "mine\n")
	l := leftover(t, dir, newKind, map[string]string{"clusters/c/flux-system/gotk-sync.yaml": "theirs\n", "apps/dev/a.yaml": "a\n"})
	unchanged := watch(t, filepath.Dir(dir))
	notes, err := Recover(dir)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "warning: kept "+l) {
		t.Errorf("Recover = %q, %v; want a warning that %s is kept", notes, err, l)
	}
	unchanged("Recover changed something")
}

// TestRecoverCannotRemove: an old tree a build could not remove (it exits
// with an error saying so) is removed by the next; when that fails too,
// Recover says so and goes on.
func TestRecoverCannotRemove(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "v1\n"))
	t.Cleanup(func() { removeAll = os.RemoveAll })
	denied := &fs.PathError{Op: "unlinkat", Path: "x", Err: fs.ErrPermission}
	removeAll = func(string) error { return denied }
	next := newTree("apps/dev/a.yaml", "v2\n")
	if _, err := Tree(dir, next); err == nil || !strings.Contains(err.Error(), "new tree written; removing the old one") {
		t.Fatalf("Tree = %v, want the old tree's removal failing", err)
	}
	wantFiles(t, dir, next, nil)
	old := Leftovers(dir)
	if len(old) != 1 || !strings.Contains(old[0], ".deploy.apkgen-old-") {
		t.Fatalf("Leftovers = %v, want the old tree", old)
	}
	// Its marker went first: were the folder missing, this old tree,
	// half removed, would not be put back in its place.
	if _, err := os.Lstat(filepath.Join(old[0], tree.Marker)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the old tree's marker: %v, want it removed before the tree", err)
	}
	notes, err := Recover(dir)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "warning: cannot remove "+old[0]) {
		t.Errorf("Recover = %q, %v; want a warning that %s cannot be removed", notes, err, old[0])
	}
	removeAll = os.RemoveAll
	notes, err = Recover(dir)
	if err != nil || len(notes) != 1 || !strings.Contains(notes[0], "removed "+old[0]) {
		t.Errorf("Recover = %q, %v; want it saying %s is removed", notes, err, old[0])
	}
	noTemp(t, dir)
	wantFiles(t, dir, next, nil)
}

// TestLeftovers: only folders named as a build of this very folder names
// its staging folders are leftovers.
func TestLeftovers(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "deploy")
	for _, p := range []string{
		".deploy.apkgen-new-0123456789ab/x", ".deploy.apkgen-old-ba9876543210/x", // leftovers
		".deploy.apkgen-new-0123/x", ".deploy.apkgen-tmp-0123456789ab/x", ".deploy2.apkgen-new-0123456789ab/x",
		"deploy.apkgen-new-0123456789ab/x", ".x.deploy.apkgen-new-0123456789ab/x",
	} {
		writeFile(t, filepath.Join(parent, p), "x\n")
	}
	writeFile(t, filepath.Join(parent, ".deploy.apkgen-old-aaaaaaaaaaaa"), "a file\n")
	want := []string{filepath.Join(parent, ".deploy.apkgen-new-0123456789ab"), filepath.Join(parent, ".deploy.apkgen-old-ba9876543210")}
	if got := Leftovers(dir); !reflect.DeepEqual(got, want) {
		t.Errorf("Leftovers = %v, want %v", got, want)
	}
	if notes, err := Recover(filepath.Join(parent, "other")); err != nil || notes != nil {
		t.Errorf("Recover with nothing left over = %q, %v", notes, err)
	}
	if got := Leftovers(filepath.Join(parent, "missing", "deploy")); got != nil {
		t.Errorf("Leftovers of a folder without a parent = %v", got)
	}
}

// TestRecoverFailing: a flux-system folder that cannot go back is an
// error, and stays where it is.
func TestRecoverFailing(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a\n"))
	l := leftover(t, dir, newKind, map[string]string{"clusters/c/flux-system/gotk-sync.yaml": "sync\n"})
	failRename(t, func(string, string) bool { return true })
	if _, err := Recover(dir); err == nil || !strings.Contains(err.Error(), "it is still there") {
		t.Errorf("Recover = %v, want an error", err)
	}
	if b, err := os.ReadFile(filepath.Join(l, "clusters/c/flux-system/gotk-sync.yaml")); err != nil || string(b) != "sync\n" {
		t.Errorf("flux-system in the leftover: %q, %v", b, err)
	}
}

// TestRecoverCannotPutBack: with the owned folder missing, an old tree
// that cannot be renamed back is an error, and the old tree stays where
// the stopped build left it.
func TestRecoverCannotPutBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	l := leftover(t, dir, oldKind, map[string]string{tree.Marker: tree.MarkerText, "apps/dev/a.yaml": "a\n"})
	unchanged := watch(t, filepath.Dir(dir))
	failRename(t, func(string, string) bool { return true })
	notes, err := Recover(dir)
	want := dir + " is missing; putting back the tree a build that did not finish left in " + l +
		": rename " + l + " " + dir + ": injected failure"
	if err == nil || err.Error() != want || notes != nil {
		t.Errorf("Recover = %q, %v\nwant the error %s", notes, err, want)
	}
	unchanged("Recover changed something")
}

// TestRecoverCannotRead: a leftover whose clusters/ cannot be read may
// hold the user's flux-system folders: Recover says so, and moves and
// removes nothing.
func TestRecoverCannotRead(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a\n"))
	l := leftover(t, dir, newKind, map[string]string{"clusters/c/flux-system/gotk-sync.yaml": "sync\n", "apps/dev/a.yaml": "a\n"})
	unreadable := filepath.Join(l, "clusters")
	t.Cleanup(func() { readDir = os.ReadDir })
	readDir = func(p string) ([]fs.DirEntry, error) {
		if p == unreadable {
			return nil, &fs.PathError{Op: "open", Path: p, Err: fs.ErrPermission}
		}
		return os.ReadDir(p)
	}
	unchanged := watch(t, filepath.Dir(dir))
	notes, err := Recover(dir)
	want := l + ", left by a build that did not finish, may hold clusters/*/flux-system: open " + unreadable +
		": permission denied; move back into " + dir + " what is yours, then remove it"
	if err == nil || err.Error() != want || notes != nil {
		t.Errorf("Recover = %q, %v\nwant the error %s", notes, err, want)
	}
	unchanged("Recover changed something")
}
