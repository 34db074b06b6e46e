// Package verify builds every kustomize directory of a generated tree with
// the kustomize API, in memory, before anything is written: a tree that
// does not build is never written.
package verify

import (
	"fmt"
	"maps"
	"path"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"

	yamlv3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/kustomize/kyaml/openapi"
	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/internal/buildcache"
	"github.com/apkgen/apkgen/internal/par"
	"github.com/apkgen/apkgen/pkg/tree"
)

// root is where the tree is mounted in the in-memory filesystem.
const root = "/tree"

// minDirsPerWorker is how many kustomize builds pay for an extra worker.
const minDirsPerWorker = 8

// minKustomizationsPerWorker is how many kustomization.yaml files to read
// pay for an extra worker.
const minKustomizationsPerWorker = 64

// Prepare starts, in the background, the setup kustomize does once per
// process: reading its built-in OpenAPI schema, which the first build to
// merge a patch needs (about 20 ms of CPU) and which every other build
// waits for, with a core idle. Called early, while a core is free, it
// takes that wait off the builds. Calling it again does nothing.
func Prepare() { prepare() }

var prepare = sync.OnceFunc(func() { go openapi.Schema() })

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
// components. Directories whose builds read the same bytes at the same
// relative paths are built once and share the result. The error reported
// is that of the first failing directory in sorted order.
func Build(t tree.Tree) (map[string]resmap.ResMap, error) {
	return build(t, true, nil, nil)
}

// Stats say how much of a tree Check built.
type Stats struct {
	Dirs  int // kustomize directories in the tree
	Built int // of them, built now (the others were found in the cache)
}

// Check is Build without the results: it keeps none of them, which keeps
// memory down when only success matters. With a cache, a directory whose
// build reads exactly the files a successful build read before (same paths
// relative to the directory, same bytes, same kustomize) is not built
// again; each success is stored.
func Check(t tree.Tree, c *buildcache.Cache) (Stats, error) {
	var st Stats
	_, err := build(t, false, c, &st)
	return st, err
}

func build(t tree.Tree, keep bool, c *buildcache.Cache, st *Stats) (map[string]resmap.ResMap, error) {
	dirs := Dirs(t)
	t, listed, err := offlineTree(t, dirs)
	if err != nil {
		return nil, err
	}
	paths := t.Paths()
	refs := make(map[string][]string, len(dirs))
	for _, dir := range dirs {
		refs[dir] = references(paths, dir, listed[dir])
	}
	sets := make(map[string][]string, len(dirs))
	for _, dir := range dirs {
		sets[dir] = readSet(paths, refs, dir)
	}
	if st != nil {
		st.Dirs = len(dirs)
	}
	// Folders whose builds read the same bytes at the same paths, relative
	// to the folder, build alike (e.g. the infrastructure of clusters with
	// the same settings): what kustomize makes of a folder depends on
	// nothing else, only its error messages name the folder. Such a group
	// is built once, by its first folder in sorted order (its leader), and
	// is one entry of the cache. todo is the leaders not found in the cache.
	keys := make([]buildcache.Key, len(dirs))
	leader := make([]int, len(dirs))
	first := make(map[buildcache.Key]int, len(dirs))
	var todo []int
	for i, dir := range dirs {
		keys[i] = buildKey(t, dir, sets[dir])
		if l, ok := first[keys[i]]; ok {
			leader[i] = l
			continue
		}
		first[keys[i]], leader[i] = i, i
		if _, ok := c.Get(keys[i]); !ok {
			todo = append(todo, i)
		}
	}
	workers := par.Workers(len(todo), minDirsPerWorker)
	ks := make([]*krusty.Kustomizer, workers)
	results := make([]resmap.ResMap, len(dirs))
	errs := make([]error, len(dirs))
	par.For(len(todo), workers, func(w, j int) {
		if ks[w] == nil {
			ks[w] = krusty.MakeKustomizer(krusty.MakeDefaultOptions())
		}
		i := todo[j]
		fs, err := mount(t, sets[dirs[i]])
		if err == nil {
			var m resmap.ResMap
			if m, err = ks[w].Run(fs, path.Join(root, dirs[i])); keep {
				results[i] = m
			}
		}
		if err != nil {
			errs[i] = fmt.Errorf("kustomize build %s: %w", dirs[i], err)
		}
	})
	if st != nil {
		st.Built = len(todo)
	}
	// Each success is kept, also when another folder failed.
	for _, i := range todo {
		if errs[i] == nil {
			c.Put(keys[i], nil)
		}
	}
	// A folder fails with its leader, which comes first: the first failing
	// folder in sorted order is a leader, and its error names it.
	for i := range dirs {
		if err := errs[leader[i]]; err != nil {
			return nil, err
		}
	}
	if !keep {
		return nil, nil
	}
	// Without a cache (keep), every leader was built.
	out := make(map[string]resmap.ResMap, len(dirs))
	for i, dir := range dirs {
		out[dir] = results[leader[i]]
		if leader[i] != i {
			out[dir] = out[dir].DeepCopy() // each folder's own, as a build of its own gives
		}
	}
	return out, nil
}

// buildKey identifies the build of dir that reads files: their paths
// relative to dir, and their bytes.
func buildKey(t tree.Tree, dir string, files []string) buildcache.Key {
	parts := make([][]byte, 0, 2*len(files))
	for _, p := range files {
		rel, err := filepath.Rel(filepath.FromSlash(dir), filepath.FromSlash(p))
		if err != nil {
			rel = p // not reached: every path is relative to the tree's root
		}
		parts = append(parts, []byte(filepath.ToSlash(rel)), t[p])
	}
	return buildcache.NewKey("kustomize build, paths relative to the folder", parts...)
}

// offlineTree returns the tree with every kustomization made offline, and
// what each lists as resources or components; the tree passed in is left
// as it is.
func offlineTree(t tree.Tree, dirs []string) (tree.Tree, map[string][]string, error) {
	files := make([][]byte, len(dirs))
	refs := make([][]string, len(dirs))
	errs := make([]error, len(dirs))
	par.For(len(dirs), par.Workers(len(dirs), minKustomizationsPerWorker), func(_, i int) {
		files[i], refs[i], errs[i] = offline(t[dirs[i]+"/kustomization.yaml"])
	})
	out := maps.Clone(t)
	listed := make(map[string][]string, len(dirs))
	for i, dir := range dirs {
		if errs[i] != nil {
			return nil, nil, fmt.Errorf("%s: %w", dir, errs[i])
		}
		out[dir+"/kustomization.yaml"], listed[dir] = files[i], refs[i]
	}
	return out, listed, nil
}

// readSet lists what building dir can read: the files under dir and under
// the directories it refers to, recursively, in a fixed order.
func readSet(paths []string, refs map[string][]string, dir string) []string {
	var files []string
	seen := map[string]bool{}
	var add func(dir string)
	add = func(dir string) {
		if seen[dir] {
			return
		}
		seen[dir] = true
		files = append(files, under(paths, dir)...)
		for _, r := range refs[dir] {
			add(r)
		}
	}
	add(dir)
	return files
}

// mount copies files into an in-memory filesystem of their own. Small
// filesystems also keep kustomize fast: the in-memory filesystem finds a
// node's name by scanning its parent folder, which is quadratic overall in
// a folder of many environments.
func mount(t tree.Tree, files []string) (filesys.FileSystem, error) {
	fs := filesys.MakeFsInMemory()
	for _, p := range files {
		if err := mountFile(fs, p, t[p]); err != nil {
			return nil, err
		}
	}
	return fs, nil
}

// references returns the directories of the tree among what the
// kustomization in dir lists as resources or components.
func references(paths []string, dir string, listed []string) []string {
	var out []string
	for _, r := range listed {
		d := path.Join(dir, r)
		if d == ".." || strings.HasPrefix(d, "../") || strings.HasPrefix(d, "/") {
			continue // outside the tree
		}
		if len(under(paths, d)) > 0 {
			out = append(out, d) // else a file of dir, or missing: kustomize says which
		}
	}
	return out
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
	if err := fs.MkdirAll(path.Join(root, path.Dir(p))); err != nil {
		return err
	}
	return fs.WriteFile(path.Join(root, p), b)
}

// offline returns a kustomization without what needs the network (its
// helmCharts and its http(s) resources), and its local resources and
// components.
func offline(b []byte) ([]byte, []string, error) {
	// Most kustomizations need no change: what they list is read
	// directly, and only one that does is rewritten through a map.
	var lists struct {
		Resources  []string `yaml:"resources"`
		Components []string `yaml:"components"`
		HelmCharts any      `yaml:"helmCharts"`
	}
	if err := yamlv3.Unmarshal(b, &lists); err == nil && lists.HelmCharts == nil &&
		!slices.ContainsFunc(lists.Resources, isRemote) {
		return b, append(lists.Resources, lists.Components...), nil
	}
	var k map[string]any
	if err := yaml.Unmarshal(b, &k); err != nil {
		return nil, nil, err
	}
	_, charts := k["helmCharts"]
	delete(k, "helmCharts")
	resources, _ := k["resources"].([]any)
	local := slices.DeleteFunc(slices.Clone(resources), func(r any) bool { return isRemote(fmt.Sprint(r)) })
	components, _ := k["components"].([]any)
	var listed []string
	for _, r := range append(slices.Clone(local), components...) {
		listed = append(listed, fmt.Sprint(r))
	}
	if !charts && len(local) == len(resources) {
		return b, listed, nil
	}
	k["resources"] = local
	// A kustomization left with nothing to do is an error to kustomize;
	// metadata makes it non-empty and changes no output.
	k["metadata"] = map[string]any{"name": "offline"}
	out, err := yaml.Marshal(k)
	return out, listed, err
}

// isRemote reports whether a kustomize resource is fetched over HTTP(S).
func isRemote(resource string) bool {
	return strings.HasPrefix(resource, "https://") || strings.HasPrefix(resource, "http://")
}
