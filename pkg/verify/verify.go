// Package verify builds every kustomize directory of a generated tree with
// the kustomize API, in memory, before anything is written: a tree that
// does not build is never written.
package verify

import (
	"fmt"
	"path"
	"sort"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/apkgen/apkgen/pkg/tree"
)

// Root is where the tree is mounted in the in-memory filesystem.
const Root = "/tree"

// Build runs kustomize on every directory holding a kustomization.yaml and
// returns the results by directory. An error names the directory and is a
// bug in apkgen, not in the user's input.
func Build(t tree.Tree) (map[string]resmap.ResMap, error) {
	fs, err := Mount(t)
	if err != nil {
		return nil, err
	}
	k := krusty.MakeKustomizer(krusty.MakeDefaultOptions())
	out := map[string]resmap.ResMap{}
	for _, dir := range Dirs(t) {
		m, err := k.Run(fs, path.Join(Root, dir))
		if err != nil {
			return nil, fmt.Errorf("kustomize build %s: %w", dir, err)
		}
		out[dir] = m
	}
	return out, nil
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

// Mount copies the tree into an in-memory filesystem under Root.
func Mount(t tree.Tree) (filesys.FileSystem, error) {
	fs := filesys.MakeFsInMemory()
	for _, p := range t.Paths() {
		if err := fs.MkdirAll(path.Join(Root, path.Dir(p))); err != nil {
			return nil, err
		}
		if err := fs.WriteFile(path.Join(Root, p), t[p]); err != nil {
			return nil, err
		}
	}
	return fs, nil
}
