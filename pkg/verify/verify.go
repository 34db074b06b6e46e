// Package verify builds every kustomize directory of a generated tree with
// the kustomize API, in memory, before anything is written: a tree that
// does not build is never written.
package verify

import (
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/internal/par"
	"github.com/apkgen/apkgen/pkg/tree"
)

// Root is where the tree is mounted in the in-memory filesystem.
const Root = "/tree"

// minDirsPerWorker is how many kustomize builds pay for an extra worker.
const minDirsPerWorker = 8

// Build runs kustomize on every directory holding a kustomization.yaml and
// returns the results by directory. An error names the directory and is a
// bug in apkgen, not in the user's input.
//
// The build is offline: what kustomize would fetch over the network (Helm
// charts of `helmCharts`, resources given by URL) is left out, and the rest
// of those kustomizations (their patches, their local resources) is built.
// Tests build such folders online against a local chart repository.
//
// The directories are independent: a few workers build them, each with its
// own kustomizer (it is not safe for concurrent use). Each build gets a
// filesystem of its own holding only what it can read: its directory and,
// recursively, the directories its kustomization lists as resources or
// components. The error reported is that of the first failing directory in
// sorted order.
func Build(t tree.Tree) (map[string]resmap.ResMap, error) {
	return build(t, true)
}

// Check is Build without the results: it keeps none of them, which keeps
// memory down when only success matters.
func Check(t tree.Tree) error {
	_, err := build(t, false)
	return err
}

func build(t tree.Tree, keep bool) (map[string]resmap.ResMap, error) {
	dirs := Dirs(t)
	t, err := offlineTree(t, dirs)
	if err != nil {
		return nil, err
	}
	paths := t.Paths()
	refs := make(map[string][]string, len(dirs))
	for _, dir := range dirs {
		r, err := references(t, paths, dir)
		if err != nil {
			return nil, err
		}
		refs[dir] = r
	}
	workers := par.Workers(len(dirs), minDirsPerWorker)
	ks := make([]*krusty.Kustomizer, workers)
	maps := make([]resmap.ResMap, len(dirs))
	errs := make([]error, len(dirs))
	par.For(len(dirs), workers, func(w, i int) {
		if ks[w] == nil {
			ks[w] = krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		}
		dir := dirs[i]
		fs, err := mountFor(t, paths, refs, dir)
		if err == nil {
			var m resmap.ResMap
			if m, err = ks[w].Run(fs, path.Join(Root, dir)); keep {
				maps[i] = m
			}
		}
		if err != nil {
			errs[i] = fmt.Errorf("kustomize build %s: %w", dir, err)
		}
	})
	for _, err := range errs {
		if err != nil {
			return nil, err
		}
	}
	if !keep {
		return nil, nil
	}
	out := make(map[string]resmap.ResMap, len(dirs))
	for i, dir := range dirs {
		out[dir] = maps[i]
	}
	return out, nil
}

// offlineTree returns the tree with every kustomization made offline; the
// tree passed in is left as it is.
func offlineTree(t tree.Tree, dirs []string) (tree.Tree, error) {
	out := make(tree.Tree, len(t))
	for p, b := range t {
		out[p] = b
	}
	for _, dir := range dirs {
		file := dir + "/kustomization.yaml"
		b, err := offline(t[file])
		if err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
		out[file] = b
	}
	return out, nil
}

// mountFor copies into an in-memory filesystem what building dir can read:
// the files under dir and under the directories it refers to, recursively.
// Small filesystems also keep kustomize fast: the in-memory filesystem
// finds a node's name by scanning its parent folder, which is quadratic
// overall in a folder of many environments.
func mountFor(t tree.Tree, paths []string, refs map[string][]string, dir string) (filesys.FileSystem, error) {
	fs := filesys.MakeFsInMemory()
	seen := map[string]bool{}
	var add func(dir string) error
	add = func(dir string) error {
		if seen[dir] {
			return nil
		}
		seen[dir] = true
		for _, p := range under(paths, dir) {
			if err := mountFile(fs, p, t[p]); err != nil {
				return err
			}
		}
		for _, r := range refs[dir] {
			if err := add(r); err != nil {
				return err
			}
		}
		return nil
	}
	return fs, add(dir)
}

// references returns the directories of the tree that the kustomization in
// dir lists as resources or components.
func references(t tree.Tree, paths []string, dir string) ([]string, error) {
	var k struct {
		Resources  []string `json:"resources"`
		Components []string `json:"components"`
	}
	if err := yaml.Unmarshal(t[dir+"/kustomization.yaml"], &k); err != nil {
		return nil, fmt.Errorf("%s/kustomization.yaml: %w", dir, err)
	}
	var out []string
	for _, r := range append(k.Resources, k.Components...) {
		d := path.Join(dir, r)
		if d == ".." || strings.HasPrefix(d, "../") || strings.HasPrefix(d, "/") {
			continue // outside the tree
		}
		if len(under(paths, d)) > 0 {
			out = append(out, d) // else a file of dir, or missing: kustomize says which
		}
	}
	return out, nil
}

// under returns the paths below dir, from the sorted paths.
func under(paths []string, dir string) []string {
	prefix := dir + "/"
	i := sort.SearchStrings(paths, prefix)
	j := i
	for j < len(paths) && strings.HasPrefix(paths[j], prefix) {
		j++
	}
	return paths[i:j]
}

// Dirs lists the kustomize directories of the tree, sorted.
func Dirs(t tree.Tree) []string {
	var dirs []string
	for p := range t {
		if path.Base(p) == "kustomization.yaml" {
			dirs = append(dirs, path.Dir(p))
		}
	}
	sort.Strings(dirs)
	return dirs
}

func mountFile(fs filesys.FileSystem, p string, b []byte) error {
	if err := fs.MkdirAll(path.Join(Root, path.Dir(p))); err != nil {
		return err
	}
	return fs.WriteFile(path.Join(Root, p), b)
}

// offline returns a kustomization without what needs the network: its
// helmCharts and its http(s) resources.
func offline(b []byte) ([]byte, error) {
	var k map[string]any
	if err := yaml.Unmarshal(b, &k); err != nil {
		return nil, err
	}
	_, charts := k["helmCharts"]
	delete(k, "helmCharts")
	resources, _ := k["resources"].([]any)
	local := slices.DeleteFunc(slices.Clone(resources), func(r any) bool { return isRemote(fmt.Sprint(r)) })
	if !charts && len(local) == len(resources) {
		return b, nil
	}
	k["resources"] = local
	// A kustomization left with nothing to do is an error to kustomize;
	// metadata makes it non-empty and changes no output.
	k["metadata"] = map[string]any{"name": "offline"}
	return yaml.Marshal(k)
}

// isRemote reports whether a kustomize resource is fetched over HTTP(S).
func isRemote(resource string) bool {
	return strings.HasPrefix(resource, "https://") || strings.HasPrefix(resource, "http://")
}
