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

	"github.com/apkgen/apkgen/pkg/tree"
)

// Root is where the tree is mounted in the in-memory filesystem.
const Root = "/tree"

// Build runs kustomize on every directory holding a kustomization.yaml and
// returns the results by directory. An error names the directory and is a
// bug in apkgen, not in the user's input.
//
// The build is offline: what kustomize would fetch over the network (Helm
// charts of `helmCharts`, resources given by URL) is left out, and the rest
// of those kustomizations (their patches, their local resources) is built.
// Tests build such folders online against a local chart repository.
func Build(t tree.Tree) (map[string]resmap.ResMap, error) {
	fs, err := Mount(t)
	if err != nil {
		return nil, err
	}
	for _, dir := range Dirs(t) {
		if err := offline(fs, path.Join(Root, dir, "kustomization.yaml")); err != nil {
			return nil, fmt.Errorf("%s: %w", dir, err)
		}
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

// offline rewrites a kustomization in place without what needs the
// network: its helmCharts and its http(s) resources.
func offline(fs filesys.FileSystem, file string) error {
	b, err := fs.ReadFile(file)
	if err != nil {
		return err
	}
	var k map[string]any
	if err := yaml.Unmarshal(b, &k); err != nil {
		return err
	}
	_, charts := k["helmCharts"]
	delete(k, "helmCharts")
	resources, _ := k["resources"].([]any)
	local := slices.DeleteFunc(slices.Clone(resources), func(r any) bool { return isRemote(fmt.Sprint(r)) })
	if !charts && len(local) == len(resources) {
		return nil
	}
	k["resources"] = local
	// A kustomization left with nothing to do is an error to kustomize;
	// metadata makes it non-empty and changes no output.
	k["metadata"] = map[string]any{"name": "offline"}
	out, err := yaml.Marshal(k)
	if err != nil {
		return err
	}
	return fs.WriteFile(file, out)
}

// isRemote reports whether a kustomize resource is fetched over HTTP(S).
func isRemote(resource string) bool {
	return strings.HasPrefix(resource, "https://") || strings.HasPrefix(resource, "http://")
}
