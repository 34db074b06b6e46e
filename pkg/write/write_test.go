package write

import (
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/tree"
)

// newTree makes a tree with the marker and the given files.
func newTree(files ...string) tree.Tree {
	t := tree.Tree{tree.Marker: []byte(tree.MarkerText)}
	for i := 0; i+1 < len(files); i += 2 {
		t[files[i]] = []byte(files[i+1])
	}
	return t
}

// snapshot records every folder and file under root: folders as "path/",
// files with their content, links as "-> target". A missing root is an
// empty snapshot.
func snapshot(t *testing.T, root string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if errors.Is(err, fs.ErrNotExist) && p == root {
			return filepath.SkipDir
		}
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		if d.Type()&fs.ModeSymlink != 0 {
			target, err := os.Readlink(p)
			out[rel] = "-> " + target
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		out[rel] = string(b)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// watch snapshots root now; the function it returns reports msg if root
// has changed since.
func watch(t *testing.T, root string) func(msg string) {
	t.Helper()
	before := snapshot(t, root)
	return func(msg string) {
		t.Helper()
		if after := snapshot(t, root); !reflect.DeepEqual(before, after) {
			t.Errorf("%s:\nbefore %v\nafter  %v", msg, before, after)
		}
	}
}

// wantFiles checks that dir holds exactly the files of want (and, when
// given, the extra files), nothing else.
func wantFiles(t *testing.T, dir string, want tree.Tree, extra map[string]string) {
	t.Helper()
	got := map[string]string{}
	for p, c := range snapshot(t, dir) {
		if !strings.HasSuffix(p, "/") {
			got[p] = c
		}
	}
	w := map[string]string{}
	for p, b := range want {
		w[p] = string(b)
	}
	for p, c := range extra {
		w[p] = c
	}
	if !reflect.DeepEqual(got, w) {
		t.Errorf("%s holds:\n%v\nwant:\n%v", dir, got, w)
	}
}

// noTemp checks that no temporary folder of a write is left beside dir.
func noTemp(t *testing.T, dir string) {
	t.Helper()
	entries, err := os.ReadDir(filepath.Dir(dir))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if strings.Contains(e.Name(), ".apkgen-new-") || strings.Contains(e.Name(), ".apkgen-old-") {
			t.Errorf("temporary folder left behind: %s", e.Name())
		}
	}
}

func writeFile(t *testing.T, path, content string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

func mustTree(t *testing.T, dir string, tr tree.Tree) Change {
	t.Helper()
	c, err := Tree(dir, tr)
	if err != nil {
		t.Fatalf("Tree(%s): %v", dir, err)
	}
	noTemp(t, dir)
	return c
}

func TestTreeIntoMissingFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "repo", "gitops", "deploy")
	tr := newTree("apps/dev/a.yaml", "a\n", "clusters/c/apps-dev.yaml", "b\n")
	c := mustTree(t, dir, tr)
	wantFiles(t, dir, tr, nil)
	want := Change{Added: tr.Paths()}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("change = %+v, want %+v", c, want)
	}
}

func TestTreeIntoEmptyFolder(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	tr := newTree("apps/dev/a.yaml", "a\n")
	c := mustTree(t, dir, tr)
	wantFiles(t, dir, tr, nil)
	if len(c.Added) != 2 || len(c.Modified)+len(c.Removed) != 0 {
		t.Errorf("change = %+v, want 2 added", c)
	}
}

func TestTreeRefusesFolderNotOwned(t *testing.T) {
	for name, files := range map[string]map[string]string{
		"file":                 {"README.md": "mine\n"},
		"nested file":          {"apps/notes.txt": "mine too\n"},
		"flux-system and more": {"clusters/c/flux-system/gotk-sync.yaml": "flux\n", "clusters/c/mine.yaml": "x\n"},
		"hidden file":          {".gitkeep": ""},
	} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			for p, c := range files {
				writeFile(t, filepath.Join(dir, p), c)
			}
			unchanged := watch(t, filepath.Dir(dir))
			_, err := Tree(dir, newTree("apps/dev/a.yaml", "a\n"))
			var notOwned *NotOwnedError
			if !errors.As(err, &notOwned) || !errors.Is(err, ErrNotOwned) {
				t.Fatalf("Tree into a folder not owned: err = %v, want a *NotOwnedError", err)
			}
			if notOwned.Dir != dir || notOwned.Generated {
				t.Errorf("NotOwnedError = %+v, want Dir %q, not generated", notOwned, dir)
			}
			unchanged("the folder changed")
		})
	}
}

// TestTreeRefusesMarkerDeleted: a tree apkgen wrote whose marker was
// deleted is refused like any folder not owned, but the error says to put
// the marker back, not to empty the folder (flux-system would go too).
// One file without apkgen's header, and it is any folder not owned.
func TestTreeRefusesMarkerDeleted(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", manifest.Header+"a\n", "README.md", manifest.MarkdownHeader+"# x\n"))
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
	if err := os.Remove(filepath.Join(dir, tree.Marker)); err != nil {
		t.Fatal(err)
	}
	unchanged := watch(t, filepath.Dir(dir))
	var notOwned *NotOwnedError
	_, err := Tree(dir, newTree("apps/dev/a.yaml", "a\n"))
	if !errors.As(err, &notOwned) || !notOwned.Generated {
		t.Fatalf("err = %v, want a *NotOwnedError, generated", err)
	}
	marker := filepath.Join(dir, tree.Marker)
	for _, want := range []string{"git checkout " + marker, "create an empty " + marker} {
		if !strings.Contains(err.Error(), want) || strings.Contains(err.Error(), "empty the folder") {
			t.Errorf("err = %v, want it saying %q, and not to empty the folder", err, want)
		}
	}
	unchanged("a refused write changed the folder")
	// As git checks them out with core.autocrlf, they are apkgen's too.
	writeFile(t, filepath.Join(dir, "apps/dev/a.yaml"), strings.ReplaceAll(manifest.Header+"a\n", "\n", "\r\n"))
	writeFile(t, filepath.Join(dir, "README.md"), strings.ReplaceAll(manifest.MarkdownHeader+"# x\n", "\n", "\r\n"))
	if _, err := Tree(dir, newTree("apps/dev/a.yaml", "a\n")); !errors.As(err, &notOwned) || !notOwned.Generated {
		t.Fatalf("with CRLF line ends: err = %v, want a *NotOwnedError, generated", err)
	}
	writeFile(t, filepath.Join(dir, "apps/dev/mine.yaml"), "mine\n")
	if _, err := Tree(dir, newTree()); !errors.As(err, &notOwned) || notOwned.Generated {
		t.Fatalf("with a file of someone else's: err = %v, want a *NotOwnedError, not generated", err)
	}
}

// TestTreeRefusesLinkToFolder: a link to a folder inside the owned folder
// is someone's, in the way: refused, nothing changed, what it points to
// untouched. Under flux-system, it is flux's business.
func TestTreeRefusesLinkToFolder(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a\n"))
	writeFile(t, filepath.Join(root, "elsewhere/mine.yaml"), "mine\n")
	if err := os.Symlink("../../../elsewhere", filepath.Join(dir, "apps/dev/linkdir")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(dir, "clusters/c/flux-system"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("../../../../elsewhere", filepath.Join(dir, "clusters/c/flux-system/linkdir")); err != nil {
		t.Fatal(err)
	}
	unchanged := watch(t, root)
	_, err := Tree(dir, newTree("apps/dev/a.yaml", "a2\n"))
	var linkErr *FolderLinkError
	if !errors.As(err, &linkErr) || linkErr.Link != filepath.Join(dir, "apps/dev/linkdir") || linkErr.Dir != dir {
		t.Fatalf("err = %v, want a *FolderLinkError for apps/dev/linkdir", err)
	}
	unchanged("a refused write changed something")
	if err := os.Remove(filepath.Join(dir, "apps/dev/linkdir")); err != nil {
		t.Fatal(err)
	}
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a2\n"))
	if b, err := os.ReadFile(filepath.Join(dir, "clusters/c/flux-system/linkdir/mine.yaml")); err != nil || string(b) != "mine\n" {
		t.Errorf("the link in flux-system: %q, %v", b, err)
	}
}

// TestTreeRemovesDanglingLink: a link to nothing in the owned folder, or
// to itself, is a file apkgen did not write, which a build removes, as any
// other.
func TestTreeRemovesDanglingLink(t *testing.T) {
	for name, target := range map[string]string{"dangling.yaml": "nowhere.yaml", "loop.yaml": "loop.yaml"} {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			tr := newTree("apps/dev/a.yaml", "a\n")
			mustTree(t, dir, tr)
			if err := os.Symlink(target, filepath.Join(dir, "apps/dev", name)); err != nil {
				t.Fatal(err)
			}
			c := mustTree(t, dir, tr)
			if !reflect.DeepEqual(c.Removed, []string{"apps/dev/" + name}) {
				t.Errorf("removed = %v, want the link", c.Removed)
			}
			wantFiles(t, dir, tr, nil)
		})
	}
}

func TestTreeRefusesFile(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	writeFile(t, dir, "not a folder\n")
	var notFolder *NotFolderError
	if _, err := Tree(dir, newTree()); !errors.As(err, &notFolder) || notFolder.Path != dir {
		t.Fatalf("Tree onto a file: err = %v, want a NotFolderError for %s", err, dir)
	}
	// Inside a file: the path's parent is not a folder.
	if _, err := Tree(filepath.Join(dir, "deploy"), newTree()); !errors.As(err, &notFolder) {
		t.Fatalf("Tree inside a file: err = %v, want a NotFolderError", err)
	}
	if b, _ := os.ReadFile(dir); string(b) != "not a folder\n" {
		t.Errorf("the file changed: %q", b)
	}
	noTemp(t, dir)
}

func TestTreeReplacesAndPrunes(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree(
		"apps/dev/a.yaml", "a1\n",
		"apps/dev/same.yaml", "same\n",
		"apps/old/c.yaml", "stale\n",
		"clusters/old/apps-old.yaml", "stale\n"))
	next := newTree(
		"apps/dev/a.yaml", "a2\n",
		"apps/dev/same.yaml", "same\n",
		"apps/new/d.yaml", "new\n")
	c := mustTree(t, dir, next)
	want := Change{
		Added:    []string{"apps/new/d.yaml"},
		Modified: []string{"apps/dev/a.yaml"},
		Removed:  []string{"apps/old/c.yaml", "clusters/old/apps-old.yaml"},
	}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("change = %+v, want %+v", c, want)
	}
	wantFiles(t, dir, next, nil)
	for _, gone := range []string{"apps/old", "clusters"} {
		if _, err := os.Stat(filepath.Join(dir, gone)); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%s: still there after pruning (err %v)", gone, err)
		}
	}
}

// TestTreePrunesFilesNotApkgens: every file of an owned folder is apkgen's.
func TestTreePrunesFilesNotApkgens(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	tr := newTree("apps/dev/a.yaml", "a\n")
	mustTree(t, dir, tr)
	writeFile(t, filepath.Join(dir, "apps/dev/edited-by-hand.yaml"), "x\n")
	c := mustTree(t, dir, tr)
	if !reflect.DeepEqual(c.Removed, []string{"apps/dev/edited-by-hand.yaml"}) {
		t.Errorf("removed = %v", c.Removed)
	}
	wantFiles(t, dir, tr, nil)
}

func TestTreePreservesFluxSystem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("clusters/c1/apps-dev.yaml", "v1\n", "clusters/c2/apps-test.yaml", "v1\n"))
	flux := map[string]string{
		"clusters/c1/flux-system/gotk-components.yaml": "components\n",
		"clusters/c1/flux-system/gotk-sync.yaml":       "sync\n",
		"clusters/c1/flux-system/kustomization.yaml":   "kustomization\n",
		// A cluster the new tree no longer has keeps its flux-system too.
		"clusters/c2/flux-system/gotk-sync.yaml": "sync c2\n",
	}
	for p, c := range flux {
		writeFile(t, filepath.Join(dir, p), c)
	}
	if old, err := ReadOwned(dir); err != nil {
		t.Fatal(err)
	} else if _, ok := old["clusters/c1/flux-system/gotk-sync.yaml"]; ok {
		t.Errorf("ReadOwned reads preserved files")
	}

	next := newTree("clusters/c1/apps-dev.yaml", "v2\n")
	c := mustTree(t, dir, next)
	want := Change{Modified: []string{"clusters/c1/apps-dev.yaml"}, Removed: []string{"clusters/c2/apps-test.yaml"}}
	if !reflect.DeepEqual(c, want) {
		t.Errorf("change = %+v, want %+v", c, want)
	}
	wantFiles(t, dir, next, flux)

	// And again, across a second rebuild.
	next = newTree("clusters/c1/apps-dev.yaml", "v3\n")
	mustTree(t, dir, next)
	wantFiles(t, dir, next, flux)
}

// TestTreeStrayFileUnderClusters: a file directly under clusters/ is not a
// cluster's folder; it is pruned like any file apkgen does not generate,
// and the build goes on.
func TestTreeStrayFileUnderClusters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("clusters/c1/apps-dev.yaml", "v1\n"))
	writeFile(t, filepath.Join(dir, "clusters/README.md"), "notes\n")
	writeFile(t, filepath.Join(dir, "clusters/c1/flux-system/gotk-sync.yaml"), "sync\n")
	next := newTree("clusters/c1/apps-dev.yaml", "v2\n")
	mustTree(t, dir, next)
	wantFiles(t, dir, next, map[string]string{"clusters/c1/flux-system/gotk-sync.yaml": "sync\n"})
}

// failRename makes every rename that match selects fail, for the rest of
// the test.
func failRename(t *testing.T, match func(from, to string) bool) {
	t.Cleanup(func() { rename = os.Rename })
	rename = func(from, to string) error {
		if match(from, to) {
			return &os.LinkError{Op: "rename", Old: from, New: to, Err: errors.New("injected failure")}
		}
		return os.Rename(from, to)
	}
}

// TestTreeFailedSwapKeepsOldTree: when the new tree cannot take the old
// one's place, the old one goes back, flux-system included.
func TestTreeFailedSwapKeepsOldTree(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("clusters/c/apps-dev.yaml", "old\n"))
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
	unchanged := watch(t, filepath.Dir(dir))
	failRename(t, func(from, to string) bool { return to == dir && strings.Contains(from, ".apkgen-new-") })
	if _, err := Tree(dir, newTree("clusters/c/apps-dev.yaml", "new\n")); err == nil {
		t.Fatal("Tree succeeded")
	}
	unchanged("a failed swap changed the folder")
}

// TestTreeFailedSwapAndPutBack: when neither tree can take the folder's
// place, both are kept and the error says where each is.
func TestTreeFailedSwapAndPutBack(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("clusters/c/apps-dev.yaml", "old\n"))
	failRename(t, func(from, to string) bool { return to == dir })
	_, err := Tree(dir, newTree("clusters/c/apps-dev.yaml", "new\n"))
	if err == nil || !strings.Contains(err.Error(), "putting the old tree back failed too") {
		t.Fatalf("err = %v, want one saying the old tree did not go back", err)
	}
	for _, glob := range []string{".deploy.apkgen-old-*", ".deploy.apkgen-new-*"} {
		matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), glob, "clusters", "c", "apps-dev.yaml"))
		if len(matches) != 1 || !strings.Contains(err.Error(), filepath.Dir(filepath.Dir(filepath.Dir(matches[0])))) {
			t.Errorf("%s: not where the error says (%v): %v", glob, matches, err)
		}
	}
}

// TestTreeFailedRestoreKeepsFluxSystem: when flux-system cannot go back
// either, it is not deleted with the new tree: the error says where it is.
func TestTreeFailedRestoreKeepsFluxSystem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("clusters/c/apps-dev.yaml", "old\n"))
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
	// Moving the old tree aside fails, and so does moving flux-system back.
	failRename(t, func(from, to string) bool {
		return from == dir || strings.HasSuffix(to, filepath.Join(filepath.Base(dir), "clusters", "c", "flux-system"))
	})
	_, err := Tree(dir, newTree("clusters/c/apps-dev.yaml", "new\n"))
	if err == nil || !strings.Contains(err.Error(), "moving flux-system back") {
		t.Fatalf("err = %v, want one saying flux-system did not go back", err)
	}
	matches, _ := filepath.Glob(filepath.Join(filepath.Dir(dir), ".deploy.apkgen-new-*", "clusters", "c", "flux-system", "gotk-sync.yaml"))
	if len(matches) != 1 || !strings.Contains(err.Error(), filepath.Dir(filepath.Dir(filepath.Dir(matches[0])))) {
		t.Errorf("flux-system is not where the error says (%v): %v", matches, err)
	}
}

// TestTreeAfterFluxBootstrap: flux bootstrap may write clusters/<c>/flux-system
// before apkgen's first build; that folder is apkgen's to fill.
func TestTreeAfterFluxBootstrap(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	flux := map[string]string{"clusters/c1/flux-system/gotk-sync.yaml": "sync\n"}
	for p, c := range flux {
		writeFile(t, filepath.Join(dir, p), c)
	}
	tr := newTree("clusters/c1/apps-dev.yaml", "v1\n")
	c := mustTree(t, dir, tr)
	if len(c.Added) != 2 {
		t.Errorf("change = %+v, want 2 added", c)
	}
	wantFiles(t, dir, tr, flux)
}

func TestTreeNoOp(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	tr := newTree("apps/dev/a.yaml", "a\n", "clusters/c/apps-dev.yaml", "b\n")
	mustTree(t, dir, tr)
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")

	// Date everything back, then check a rebuild touches none of it.
	past := time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC)
	var paths []string
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		paths = append(paths, p)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	for i := len(paths) - 1; i >= 0; i-- {
		if err := os.Chtimes(paths[i], past, past); err != nil {
			t.Fatal(err)
		}
	}
	c := mustTree(t, dir, tr)
	if !c.Empty() {
		t.Errorf("no-op rebuild: change = %+v", c)
	}
	for _, p := range paths {
		st, err := os.Stat(p)
		if err != nil {
			t.Fatal(err)
		}
		if !st.ModTime().Equal(past) {
			t.Errorf("%s: modified by a no-op rebuild (mtime %v)", p, st.ModTime())
		}
	}
}

// failingTrees cannot be written, whoever runs the test (root included).
var failingTrees = map[string]tree.Tree{
	"file where a folder goes": newTree("apps/dev", "a file\n", "apps/dev/a.yaml", "a\n"),
	"name too long":            newTree("apps/"+strings.Repeat("x", 300)+".yaml", "a\n"),
}

func TestTreeFailureKeepsOldTree(t *testing.T) {
	for name, bad := range failingTrees {
		t.Run(name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "deploy")
			mustTree(t, dir, newTree("apps/dev/a.yaml", "old\n", "clusters/c/apps-dev.yaml", "old\n"))
			writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
			unchanged := watch(t, filepath.Dir(dir))
			if _, err := Tree(dir, bad); err == nil {
				t.Fatal("Tree of an unwritable tree succeeded")
			}
			unchanged("a failed write changed the folder")
		})
	}
}

func TestTreeFailureIntoMissingFolder(t *testing.T) {
	for name, bad := range failingTrees {
		t.Run(name, func(t *testing.T) {
			// Two missing levels: the folders a failed write creates on
			// the way go too.
			parent := t.TempDir()
			dir := filepath.Join(parent, "a", "b", "deploy")
			if _, err := Tree(dir, bad); err == nil {
				t.Fatal("Tree of an unwritable tree succeeded")
			}
			if s := snapshot(t, parent); !reflect.DeepEqual(s, map[string]string{"./": ""}) {
				t.Errorf("a failed write left %v", s)
			}
		})
	}
}

// TestTreeFailedSwapIntoMissingFolder: the new tree is written but cannot
// be moved into place; the folders made on the way go too.
func TestTreeFailedSwapIntoMissingFolder(t *testing.T) {
	parent := t.TempDir()
	dir := filepath.Join(parent, "a", "b", "deploy")
	failRename(t, func(_, to string) bool { return to == dir })
	if _, err := Tree(dir, newTree("clusters/c/apps-dev.yaml", "new\n")); err == nil {
		t.Fatal("Tree succeeded")
	}
	if s := snapshot(t, parent); !reflect.DeepEqual(s, map[string]string{"./": ""}) {
		t.Errorf("a failed swap left %v", s)
	}
}

// TestTreeFailureCarryingFluxSystem: the new tree has a file where the old
// one's flux-system folder has to go; the old tree, flux-system included,
// stays as it was.
func TestTreeFailureCarryingFluxSystem(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("clusters/a/apps-dev.yaml", "old\n", "clusters/b/apps-dev.yaml", "old\n"))
	writeFile(t, filepath.Join(dir, "clusters/a/flux-system/gotk-sync.yaml"), "sync a\n")
	writeFile(t, filepath.Join(dir, "clusters/b/flux-system/gotk-sync.yaml"), "sync b\n")
	unchanged := watch(t, filepath.Dir(dir))
	// clusters/a's flux-system moves over first, then clusters/b fails.
	if _, err := Tree(dir, newTree("clusters/b", "a file\n")); err == nil {
		t.Fatal("Tree succeeded")
	}
	unchanged("a failed write changed the folder")
}

// TestTreeThroughSymlink: a link to the owned folder stays a link, and the
// folder it points to gets the new tree.
func TestTreeThroughSymlink(t *testing.T) {
	root := t.TempDir()
	target := filepath.Join(root, "real", "deploy")
	link := filepath.Join(root, "deploy")
	mustTree(t, target, newTree("apps/dev/a.yaml", "old\n", "apps/dev/stale.yaml", "old\n"))
	writeFile(t, filepath.Join(target, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
	if err := os.Symlink(target, link); err != nil {
		t.Fatal(err)
	}
	next := newTree("apps/dev/a.yaml", "new\n")
	c := mustTree(t, link, next)
	if len(c.Modified) != 1 || len(c.Removed) != 1 {
		t.Errorf("change = %+v", c)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&fs.ModeSymlink == 0 {
		t.Fatalf("%s is no longer a symbolic link (err %v)", link, err)
	}
	wantFiles(t, target, next, map[string]string{"clusters/c/flux-system/gotk-sync.yaml": "sync\n"})
	noTemp(t, target)
}

// TestTreeGlobCharacters: a path with glob characters is a path, not a pattern.
func TestTreeGlobCharacters(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "[repo]*?", "deploy")
	mustTree(t, dir, newTree("clusters/c/apps-dev.yaml", "v1\n"))
	flux := map[string]string{"clusters/c/flux-system/gotk-sync.yaml": "sync\n"}
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/gotk-sync.yaml"), "sync\n")
	next := newTree("clusters/c/apps-dev.yaml", "v2\n")
	mustTree(t, dir, next)
	wantFiles(t, dir, next, flux)
}

func TestReadOwned(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "missing")
	if files, err := ReadOwned(missing); err != nil || len(files) != 0 {
		t.Errorf("ReadOwned(missing) = %v, %v; want empty", files, err)
	}
	dir := filepath.Join(t.TempDir(), "deploy")
	tr := newTree("apps/dev/a.yaml", "a\n")
	mustTree(t, dir, tr)
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/x.yaml"), "x\n")
	files, err := ReadOwned(dir)
	if err != nil {
		t.Fatal(err)
	}
	if len(files) != len(tr) || string(files["apps/dev/a.yaml"]) != "a\n" {
		t.Errorf("ReadOwned = %v", files)
	}
}

func TestPreserved(t *testing.T) {
	for p, want := range map[string]bool{
		"clusters/c/flux-system":                    true,
		"clusters/c/flux-system/gotk-sync.yaml":     true,
		"clusters/c/flux-system/sub/x.yaml":         true,
		"clusters/c/apps-dev.yaml":                  false,
		"clusters/flux-system":                      false,
		"apps/c/flux-system/x.yaml":                 false,
		"infrastructure/c/flux-system/x.yaml":       false,
		"clusters/c/flux-system-extra/x.yaml":       false,
		"clusters/c/sub/flux-system/gotk-sync.yaml": false,
	} {
		if got := Preserved(p); got != want {
			t.Errorf("Preserved(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestJoin(t *testing.T) {
	for _, c := range []struct{ root, path, want string }{
		{".", "deploy", "deploy"},
		{"/repo", "deploy", "/repo/deploy"},
		{"/repo", "gitops/apk/", "/repo/gitops/apk"},
		{"repo", "./deploy", "repo/deploy"},
	} {
		if got := Join(c.root, c.path); got != filepath.FromSlash(c.want) {
			t.Errorf("Join(%q, %q) = %q, want %q", c.root, c.path, got, c.want)
		}
	}
}

// TestTreeEmpty: an owned folder can be emptied (the new root is made even
// when no file goes in it).
func TestTreeEmpty(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a\n"))
	c := mustTree(t, dir, tree.Tree{})
	if len(c.Removed) != 2 {
		t.Errorf("change = %+v, want 2 removed", c)
	}
	wantFiles(t, dir, tree.Tree{}, nil)
}

// statAll stats the given files under dir.
func statAll(t *testing.T, dir string, rels ...string) map[string]os.FileInfo {
	t.Helper()
	out := map[string]os.FileInfo{}
	for _, rel := range rels {
		st, err := os.Stat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		out[rel] = st
	}
	return out
}

// TestTreeLinksUnchangedFiles: a file the new tree holds unchanged is the
// old file, linked, not a new one; a changed file is new. Once the old tree
// is gone, each file has one name again.
func TestTreeLinksUnchangedFiles(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a1\n", "apps/dev/same.yaml", "same\n"))
	before := statAll(t, dir, "apps/dev/a.yaml", "apps/dev/same.yaml", tree.Marker)
	next := newTree("apps/dev/a.yaml", "a2\n", "apps/dev/same.yaml", "same\n")
	mustTree(t, dir, next)
	wantFiles(t, dir, next, nil)
	after := statAll(t, dir, "apps/dev/a.yaml", "apps/dev/same.yaml", tree.Marker)
	for rel, linked := range map[string]bool{"apps/dev/same.yaml": true, tree.Marker: true, "apps/dev/a.yaml": false} {
		if got := os.SameFile(before[rel], after[rel]); got != linked {
			t.Errorf("%s: the old file kept = %v, want %v", rel, got, linked)
		}
		if n := after[rel].Sys().(*syscall.Stat_t).Nlink; n != 1 {
			t.Errorf("%s: %d links, want 1", rel, n)
		}
	}
}

// TestTreeRewritesWhatItCannotLink: an unchanged file is written anew when
// the old one is executable or a symbolic link, when the old file no
// longer holds what was read (an edit since) or is gone, and on a
// filesystem without hard links; the new tree holds plain files with the
// generated bytes.
func TestTreeRewritesWhatItCannotLink(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	first := newTree("exec.yaml", "same\n", "link.yaml", "same\n", "edited.yaml", "same\n", "plain.yaml", "same\n", "gone.yaml", "same\n")
	mustTree(t, dir, first)
	old, err := ReadOwned(dir)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(filepath.Join(dir, "exec.yaml"), 0o755); err != nil {
		t.Fatal(err)
	}
	outside := filepath.Join(t.TempDir(), "outside.yaml")
	writeFile(t, outside, "same\n")
	if err := os.Remove(filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(outside, filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	// Edited in place after the read, keeping its size.
	writeFile(t, filepath.Join(dir, "edited.yaml"), "sane\n")
	// Removed after the read.
	if err := os.Remove(filepath.Join(dir, "gone.yaml")); err != nil {
		t.Fatal(err)
	}
	before := statAll(t, dir, "exec.yaml", "edited.yaml", "plain.yaml")

	next := newTree("exec.yaml", "same\n", "link.yaml", "same\n", "edited.yaml", "same\n", "plain.yaml", "same\n", "gone.yaml", "same\n", "new.yaml", "new\n")
	if _, err := Replace(dir, old, next); err != nil {
		t.Fatal(err)
	}
	wantFiles(t, dir, next, nil)
	after := statAll(t, dir, "exec.yaml", "edited.yaml", "plain.yaml")
	for rel, linked := range map[string]bool{"exec.yaml": false, "edited.yaml": false, "plain.yaml": true} {
		if got := os.SameFile(before[rel], after[rel]); got != linked {
			t.Errorf("%s: the old file kept = %v, want %v", rel, got, linked)
		}
	}
	for _, rel := range []string{"exec.yaml", "link.yaml"} {
		st, err := os.Lstat(filepath.Join(dir, rel))
		if err != nil {
			t.Fatal(err)
		}
		if !st.Mode().IsRegular() || st.Mode().Perm()&0o111 != 0 {
			t.Errorf("%s: mode %v, want a plain non-executable file", rel, st.Mode())
		}
	}

	// Without hard links, every file is written.
	t.Cleanup(func() { link = os.Link })
	link = func(from, to string) error {
		return &os.LinkError{Op: "link", Old: from, New: to, Err: errors.New("injected failure")}
	}
	before = statAll(t, dir, "plain.yaml")
	last := newTree("plain.yaml", "same\n", "new.yaml", "newer\n")
	mustTree(t, dir, last)
	wantFiles(t, dir, last, nil)
	if os.SameFile(before["plain.yaml"], statAll(t, dir, "plain.yaml")["plain.yaml"]) {
		t.Error("plain.yaml: the old file kept although linking failed")
	}
}

// An input file inside the owned folder is refused; beside it, in a
// folder whose name merely starts alike, or under flux-system (which
// builds keep), it is not.
func TestCheckOutside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "deploy")
	for _, p := range []string{"deploy/envs.yaml", "deploy/apps/p.cue", "deploy2/envs.yaml", "envs.yaml",
		"deploy/clusters/c/flux-system/envs.yaml"} {
		full := filepath.Join(root, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for p, inside := range map[string]bool{
		"deploy/envs.yaml":  true,
		"deploy/apps/p.cue": true,
		"deploy2/envs.yaml": false,
		"envs.yaml":         false,
		"deploy/clusters/c/flux-system/envs.yaml": false,
		"missing.yaml": false,
	} {
		err := CheckOutside(dir, "-", filepath.Join(root, p))
		var ie *InsideError
		if got := errors.As(err, &ie); got != inside || !inside && err != nil {
			t.Errorf("%s: %v, want inside %v", p, err, inside)
		}
	}
	if err := CheckOutside(filepath.Join(root, "none"), filepath.Join(root, "envs.yaml")); err != nil {
		t.Errorf("missing folder: %v", err)
	}
	// A link inside to a file outside goes with the build all the same; a
	// folder (--chart-dir) inside is refused like a file.
	if err := os.Symlink("../envs.yaml", filepath.Join(dir, "link.yaml")); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"deploy/link.yaml", "deploy/apps"} {
		var ie *InsideError
		if err := CheckOutside(dir, filepath.Join(root, p)); !errors.As(err, &ie) {
			t.Errorf("%s: %v, want inside", p, err)
		}
	}
	// The folder itself is a file in the way (NotFolderError), not inside.
	if err := CheckOutside(filepath.Join(root, "envs.yaml"), filepath.Join(root, "envs.yaml")); err != nil {
		t.Errorf("the folder as the file: %v", err)
	}
}

// A folder apkgen may not write beside is named as the user gave it, not
// by the staging folder the error comes from. (Tests run as root, whom
// permissions do not stop: the message is checked on the error itself.)
func TestStagingError(t *testing.T) {
	denied := &fs.PathError{Op: "mkdir", Path: "/repo/.deploy.apkgen-new-0123", Err: syscall.EACCES}
	want := "cannot write repo/deploy: permission denied in repo, where apkgen writes the new tree before swapping it in"
	if got := stagingError(denied, "repo/deploy"); got.Error() != want {
		t.Errorf("got %q, want %q", got, want)
	}
	other := &fs.PathError{Op: "write", Path: "/repo/.deploy.apkgen-new-0123/a.yaml", Err: syscall.ENOSPC}
	if got := stagingError(other, "repo/deploy"); got != other {
		t.Errorf("another error changed: %v", got)
	}
}

// TestNested: an owned folder is never written when it holds another
// (a marker below it), nor inside another (a marker above it, up to the
// repository's root): a build of the outer one would remove the inner
// one. Nothing is written.
func TestNested(t *testing.T) {
	tr := newTree("apps/dev/a.yaml", "a\n")
	for name, c := range map[string]struct {
		built        []string // owned folders built first, in order
		dir          string   // the folder then written
		inner, outer string
	}{
		"holding one":              {[]string{"deploy", "deploy/v2"}, "deploy", "deploy/v2", "deploy"},
		"holding one deeper":       {[]string{"deploy", "deploy/apps/x/v2"}, "deploy", "deploy/apps/x/v2", "deploy"},
		"without a marker, one":    {[]string{"deploy/v2"}, "deploy", "deploy/v2", "deploy"},
		"inside one":               {[]string{"deploy"}, "deploy/v2", "deploy/v2", "deploy"},
		"inside one, deeper":       {[]string{"deploy"}, "deploy/apps/x/v2", "deploy/apps/x/v2", "deploy"},
		"inside one, existing":     {[]string{"deploy/v2", "deploy"}, "deploy/v2", "deploy/v2", "deploy"},
		"inside one, a file there": {[]string{"deploy"}, "deploy/apps/dev/a.yaml/v2", "deploy/apps/dev/a.yaml/v2", "deploy"},
	} {
		t.Run(name, func(t *testing.T) {
			root := t.TempDir()
			for _, b := range c.built {
				// Written as it was before owned folders were checked.
				writeFile(t, filepath.Join(root, b, tree.Marker), tree.MarkerText)
				writeFile(t, filepath.Join(root, b, "apps/dev/a.yaml"), "a\n")
			}
			unchanged := watch(t, root)
			_, err := Tree(filepath.Join(root, c.dir), tr)
			var nested *NestedError
			if !errors.As(err, &nested) {
				t.Fatalf("err = %v, want a *NestedError", err)
			}
			inner, outer := filepath.Join(root, c.inner), filepath.Join(root, c.outer)
			if nested.Inner != inner || nested.Outer != outer || nested.Dir != filepath.Join(root, c.dir) {
				t.Errorf("NestedError = %+v, want %s inside %s", nested, inner, outer)
			}
			if !strings.Contains(err.Error(), "Owned folders cannot nest") {
				t.Errorf("err = %v", err)
			}
			unchanged("a refused write changed something")
		})
	}

	// Above the repository's root, and beside it, markers are not looked
	// for; a marker in flux-system is flux's business.
	root := t.TempDir()
	writeFile(t, filepath.Join(root, tree.Marker), tree.MarkerText)
	writeFile(t, filepath.Join(root, "repo/.git/HEAD"), "ref: refs/heads/main\n")
	writeFile(t, filepath.Join(root, "repo/other/.apkgen"), tree.MarkerText)
	dir := filepath.Join(root, "repo", "deploy")
	mustTree(t, dir, tr)
	writeFile(t, filepath.Join(dir, "clusters/c/flux-system/.apkgen"), "x\n")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a2\n"))
}

// TestCRLFCheckoutIsNoChange: git with core.autocrlf (or eol=crlf) checks
// the generated files out with CRLF line ends; they read back as
// generated, so a build changes nothing and --check finds nothing. A file
// without apkgen's header is read as it is.
func TestCRLFCheckoutIsNoChange(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	generated := manifest.Header + "kind: Namespace\nmetadata:\n  name: a\n"
	tr := newTree("apps/dev/namespace.yaml", generated)
	mustTree(t, dir, tr)
	crlf := strings.ReplaceAll(generated, "\n", "\r\n")
	writeFile(t, filepath.Join(dir, "apps/dev/namespace.yaml"), crlf)
	writeFile(t, filepath.Join(dir, "apps/dev/mine.yaml"), "a: 1\r\n")
	old, err := ReadOwned(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got := string(old["apps/dev/namespace.yaml"]); got != generated {
		t.Errorf("generated file with CRLF read as %q", got)
	}
	if got := string(old["apps/dev/mine.yaml"]); got != "a: 1\r\n" {
		t.Errorf("other file read as %q", got)
	}
	c := Diff(old, tr)
	if len(c.Modified) != 0 || !reflect.DeepEqual(c.Removed, []string{"apps/dev/mine.yaml"}) {
		t.Errorf("change = %+v, want only mine.yaml removed", c)
	}
}

// TestTreeKeepsFolderMode: a build replaces the owned folder with one of
// the same mode (group write and setgid, which a checkout shared by a
// group relies on); its files and folders are made as the umask says.
func TestTreeKeepsFolderMode(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "deploy")
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a\n"))
	if err := os.Chmod(dir, 0o775|fs.ModeSetgid); err != nil {
		t.Fatal(err)
	}
	want, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a2\n"))
	got, err := os.Stat(dir)
	if err != nil {
		t.Fatal(err)
	}
	if got.Mode() != want.Mode() {
		t.Errorf("folder mode %v after a build, was %v", got.Mode(), want.Mode())
	}
	// A umask other than the usual 022, which 0644 files would also fit.
	defer syscall.Umask(syscall.Umask(0o002))
	mustTree(t, dir, newTree("apps/dev/a.yaml", "a3\n"))
	for p, want := range map[string]fs.FileMode{"apps/dev/a.yaml": 0o664, "apps/dev": 0o775 | fs.ModeDir} {
		st, err := os.Stat(filepath.Join(dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := st.Mode() &^ fs.ModeSetgid; got != want {
			t.Errorf("%s: mode %v, want %v (umask 002)", p, got, want)
		}
	}
}

// TestTreeRefusesPathOutside: a tree path that leads out of the owned
// folder is an error, and nothing is written there.
func TestTreeRefusesPathOutside(t *testing.T) {
	root := t.TempDir()
	dir := filepath.Join(root, "deploy")
	if _, err := Tree(dir, newTree("apps/dev/a.yaml", "a\n", "apps/../../victim.yaml", "x\n")); err == nil {
		t.Error("a path out of the folder was written")
	}
	if _, err := os.Stat(filepath.Join(root, "victim.yaml")); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("victim.yaml: %v", err)
	}
}
