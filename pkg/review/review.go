// Package review says how two versions of a generated tree differ at the
// level a reviewer thinks in: per environment, which object (kind and name),
// which field path, old and new value; plus the files added and removed.
//
// Both versions are maps of slash-separated paths to contents. YAML files
// are parsed into their documents; documents are matched by kind, namespace
// and name within a group (an environment, a cluster, the shared files), so
// an object that moved between files is still one object. Maps are walked
// key by key; lists of maps that all carry a distinct "name" are matched by
// name, other lists by index. Paths of fields under an object's spec are
// shown relative to spec ("values.a.b" for a HelmRelease's spec.values.a.b).
package review

import (
	"bytes"
	"fmt"
	"io"
	"reflect"
	"regexp"
	"sort"
	"strconv"
	"strings"

	"gopkg.in/yaml.v3"

	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/tree"
)

// Status says how a file, an object or a field changed.
type Status = tree.Status

// The statuses.
const (
	Added    = tree.Added
	Removed  = tree.Removed
	Modified = tree.Modified
)

// Group kinds, in the order reports list them.
const (
	KindEnvironment = "environment"
	KindCluster     = "cluster"
	KindShared      = "shared"
)

// GroupFunc names the group a path belongs to: its kind (KindEnvironment,
// KindCluster or KindShared) and name.
type GroupFunc func(path string) (kind, name string)

// Report is every difference, grouped.
type Report struct {
	// Root is the folder the paths are in, as shown (the owned folder's
	// path in the repository); file paths in the report include it.
	Root   string   `json:"root"`
	Groups []*Group `json:"groups"`
}

// Group is the differences of one environment, cluster or the shared files.
type Group struct {
	Kind    string   `json:"kind"`
	Name    string   `json:"name"`
	Files   []File   `json:"files"`
	Objects []Object `json:"objects"`
}

// File is a file that was added, removed or modified.
type File struct {
	Path   string `json:"path"`
	Status Status `json:"status"`
	// Explained is true for a file whose differences all show as object
	// changes (each naming its file); text and Markdown reports then do not
	// list it again.
	Explained bool `json:"explained"`
	// Foreign is true for a removed file apkgen did not write (it lacks
	// apkgen's header): someone put it in the owned folder, and a build
	// removes it. Its objects are not listed as apkgen's.
	Foreign bool `json:"foreign,omitempty"`
}

// Note is what reports add to a file's status: "" or why it changes.
func (f File) Note() string {
	if f.Foreign {
		return " (not written by apkgen; a build removes it)"
	}
	return ""
}

// Object is a Kubernetes object that was added, removed or modified.
type Object struct {
	Kind      string   `json:"kind"`
	Namespace string   `json:"namespace,omitempty"`
	Name      string   `json:"name,omitempty"`
	File      string   `json:"file"`
	Status    Status   `json:"status"`
	Changes   []Change `json:"changes,omitempty"`
}

// Title is how reports name the object: "HelmRelease apk", with the
// namespace when it has one, or by its file when it has no name (a
// kustomize Kustomization).
func (o Object) Title() string {
	switch {
	case o.Name == "":
		return o.Kind + " " + o.File
	case o.Namespace != "":
		return o.Kind + " " + o.Namespace + "/" + o.Name
	}
	return o.Kind + " " + o.Name
}

// Change is one changed leaf of an object.
type Change struct {
	Path   string `json:"path"`
	Status Status `json:"status"`
	Old    any    `json:"old,omitempty"`
	New    any    `json:"new,omitempty"`
}

// Multiline reports whether either side is a string of several lines, which
// reports show as a diff rather than as two values.
func (c Change) Multiline() bool {
	o, _ := c.Old.(string)
	n, _ := c.New.(string)
	return strings.Contains(o, "\n") || strings.Contains(n, "\n")
}

// Empty reports whether nothing differs.
func (r *Report) Empty() bool { return len(r.Groups) == 0 }

// Counts returns the number of files added, modified and removed, in the
// order tree.Counts prints them.
func (r *Report) Counts() (added, modified, removed int) {
	for _, g := range r.Groups {
		for _, f := range g.Files {
			switch f.Status {
			case Added:
				added++
			case Removed:
				removed++
			default:
				modified++
			}
		}
	}
	return
}

// Compare reports how the files new differ from the files old. root is
// put in front of every path shown; group sorts paths into groups.
func Compare(old, new map[string][]byte, root string, group GroupFunc) *Report {
	r := &Report{Root: root}
	groups := map[[2]string]*Group{}
	changed := map[*Group][]string{}
	for _, f := range tree.Diff(old, new) {
		p, st := f.Path, f.Status
		kind, name := group(p)
		g := groups[[2]string{kind, name}]
		if g == nil {
			g = &Group{Kind: kind, Name: name, Files: []File{}, Objects: []Object{}}
			groups[[2]string{kind, name}] = g
			r.Groups = append(r.Groups, g)
		}
		foreign := st == Removed && !manifest.IsGenerated(old[p])
		g.Files = append(g.Files, File{Path: show(root, p), Status: st, Foreign: foreign})
		if foreign {
			continue // its objects were never apkgen's
		}
		changed[g] = append(changed[g], p)
	}
	for g, paths := range changed {
		compareObjects(g, paths, old, new, root)
	}
	sort.Slice(r.Groups, func(i, j int) bool {
		a, b := r.Groups[i], r.Groups[j]
		if ka, kb := kindRank(a.Kind), kindRank(b.Kind); ka != kb {
			return ka < kb
		}
		return a.Name < b.Name
	})
	return r
}

func kindRank(k string) int {
	switch k {
	case KindEnvironment:
		return 0
	case KindCluster:
		return 1
	}
	return 2
}

func show(root, p string) string {
	if root == "" || root == "." {
		return p
	}
	return root + "/" + p
}

// union is the keys of a and b, sorted.
func union[V any](a, b map[string]V) []string {
	out := make([]string, 0, len(a)+len(b))
	for k := range a {
		out = append(out, k)
	}
	for k := range b {
		if _, ok := a[k]; !ok {
			out = append(out, k)
		}
	}
	sort.Strings(out)
	return out
}

// doc is one parsed YAML document of a file.
type doc struct {
	file, kind, namespace, name string
	body                        map[string]any
}

func (d doc) key() string { return d.kind + "/" + d.namespace + "/" + d.name }

// compareObjects matches the objects of the group's changed files and
// records how they changed.
func compareObjects(g *Group, paths []string, old, new map[string][]byte, root string) {
	var olds, news []doc
	parsed := map[string]bool{}
	for _, p := range paths {
		od, okOld := parse(p, old[p])
		nd, okNew := parse(p, new[p])
		_, inOld := old[p]
		_, inNew := new[p]
		if (okOld || !inOld) && (okNew || !inNew) {
			parsed[p] = true
		}
		olds = append(olds, od...)
		news = append(news, nd...)
	}
	oldBy, newBy := index(olds), index(news)
	touched := map[string]bool{}
	for _, k := range union(oldBy, newBy) {
		a, inOld := oldBy[k]
		b, inNew := newBy[k]
		var o Object
		switch {
		case !inOld:
			o = objectOf(b, Added, root)
		case !inNew:
			o = objectOf(a, Removed, root)
		default:
			o = objectOf(b, Modified, root)
			o.Changes = Fields(a.body, b.body)
			if len(o.Changes) == 0 {
				continue
			}
		}
		touched[o.File] = true
		g.Objects = append(g.Objects, o)
	}
	sort.SliceStable(g.Objects, func(i, j int) bool {
		a, b := g.Objects[i], g.Objects[j]
		if a.File != b.File {
			return a.File < b.File
		}
		return a.Title() < b.Title()
	})
	// A YAML file is explained by its objects when every version of it there
	// is parsed and at least one of its objects changed; a change that shows
	// in no object (a comment, the order of documents, an object that moved
	// to another file) leaves it unexplained, and reports list the file.
	for i, f := range g.Files {
		if touched[f.Path] && parsed[strings.TrimPrefix(f.Path, show(root, ""))] {
			g.Files[i].Explained = true
		}
	}
}

// index maps objects by kind, namespace and name; objects that share a
// key (or have no name) are told apart by their file.
func index(docs []doc) map[string]doc {
	count := map[string]int{}
	for _, d := range docs {
		count[d.key()]++
	}
	out := map[string]doc{}
	for _, d := range docs {
		k := d.key()
		if count[k] > 1 || d.name == "" {
			k += "@" + d.file
		}
		out[k] = d
	}
	return out
}

func objectOf(d doc, st Status, root string) Object {
	return Object{Kind: d.kind, Namespace: d.namespace, Name: d.name, File: show(root, d.file), Status: st}
}

// parse returns the Kubernetes objects of a YAML file; ok is false when
// the file is not YAML objects (or is absent), and it is then compared as
// a file only.
func parse(p string, b []byte) (docs []doc, ok bool) {
	if b == nil || !(strings.HasSuffix(p, ".yaml") || strings.HasSuffix(p, ".yml")) {
		return nil, false
	}
	dec := yaml.NewDecoder(bytes.NewReader(b))
	for i := 0; ; i++ {
		var v any
		err := dec.Decode(&v)
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, false
		}
		if v == nil {
			continue
		}
		m, isMap := normalize(v).(map[string]any)
		kind, _ := m["kind"].(string)
		if !isMap || kind == "" {
			return nil, false
		}
		meta, _ := m["metadata"].(map[string]any)
		name, _ := meta["name"].(string)
		ns, _ := meta["namespace"].(string)
		docs = append(docs, doc{file: p, kind: kind, namespace: ns, name: name, body: m})
	}
	return docs, true
}

// normalize turns the map[any]any that YAML gives for non-string keys into
// map[string]any, all the way down.
func normalize(v any) any {
	switch x := v.(type) {
	case map[string]any:
		for k, e := range x {
			x[k] = normalize(e)
		}
		return x
	case map[any]any:
		m := make(map[string]any, len(x))
		for k, e := range x {
			m[fmt.Sprint(k)] = normalize(e)
		}
		return m
	case []any:
		for i, e := range x {
			x[i] = normalize(e)
		}
		return x
	}
	return v
}

// Fields lists the changed leaves between two objects, in path order. A
// leading "spec" is left out of the paths.
func Fields(a, b map[string]any) []Change {
	var out []Change
	walk(nil, a, b, &out)
	return out
}

func walk(p path, a, b any, out *[]Change) {
	switch x := a.(type) {
	case map[string]any:
		if y, ok := b.(map[string]any); ok {
			for _, k := range union(x, y) {
				av, inA := x[k]
				bv, inB := y[k]
				member(p.key(k), av, bv, inA, inB, out)
			}
			return
		}
	case []any:
		if y, ok := b.([]any); ok {
			walkList(p, x, y, out)
			return
		}
	}
	if !reflect.DeepEqual(a, b) {
		*out = append(*out, Change{Path: p.String(), Status: Modified, Old: a, New: b})
	}
}

// member compares one map key or list item that a, b or both have.
func member(q path, av, bv any, inA, inB bool, out *[]Change) {
	switch {
	case !inA:
		leaves(q, bv, Added, out)
	case !inB:
		leaves(q, av, Removed, out)
	default:
		walk(q, av, bv, out)
	}
}

func walkList(p path, a, b []any, out *[]Change) {
	if reflect.DeepEqual(a, b) {
		return // the matching below is quadratic; most lists are unchanged
	}
	if an, ok := byName(a); ok {
		if bn, ok := byName(b); ok {
			var names []string
			for _, e := range a {
				names = append(names, e.(map[string]any)["name"].(string))
			}
			for _, e := range b {
				n := e.(map[string]any)["name"].(string)
				if _, ok := an[n]; !ok {
					names = append(names, n)
				}
			}
			for _, n := range names {
				av, inA := an[n]
				bv, inB := bn[n]
				member(p.named(n), av, bv, inA, inB, out)
			}
			return
		}
	}
	if scalars(a) && scalars(b) {
		walkScalars(p, a, b, out)
		return
	}
	for i := 0; i < len(a) || i < len(b); i++ {
		var av, bv any
		if i < len(a) {
			av = a[i]
		}
		if i < len(b) {
			bv = b[i]
		}
		member(p.index(i), av, bv, i < len(a), i < len(b), out)
	}
}

func scalars(l []any) bool {
	for _, e := range l {
		switch e.(type) {
		case map[string]any, []any:
			return false
		}
	}
	return true
}

// walkScalars compares two lists of scalars by their longest common
// subsequence, so that an item inserted at the front shows as one added
// item rather than every later item changed. A run of removed items
// followed by as many added ones at the same place shows as modified items.
func walkScalars(p path, a, b []any, out *[]Change) {
	// lcs[i][j] is the length of the longest common subsequence of a[i:], b[j:].
	lcs := make([][]int, len(a)+1)
	for i := range lcs {
		lcs[i] = make([]int, len(b)+1)
	}
	for i := len(a) - 1; i >= 0; i-- {
		for j := len(b) - 1; j >= 0; j-- {
			if reflect.DeepEqual(a[i], b[j]) {
				lcs[i][j] = lcs[i+1][j+1] + 1
			} else {
				lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
			}
		}
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		if i < len(a) && j < len(b) && reflect.DeepEqual(a[i], b[j]) {
			i, j = i+1, j+1
			continue
		}
		// Collect the run of removals and additions up to the next match.
		var del, ins []int
		for i < len(a) || j < len(b) {
			if i < len(a) && j < len(b) && reflect.DeepEqual(a[i], b[j]) {
				break
			}
			if j >= len(b) || (i < len(a) && lcs[i+1][j] >= lcs[i][j+1]) {
				del = append(del, i)
				i++
			} else {
				ins = append(ins, j)
				j++
			}
		}
		if len(del) == len(ins) {
			for k := range del {
				*out = append(*out, Change{Path: p.index(ins[k]).String(), Status: Modified, Old: a[del[k]], New: b[ins[k]]})
			}
			continue
		}
		for _, d := range del {
			*out = append(*out, Change{Path: p.index(d).String(), Status: Removed, Old: a[d]})
		}
		for _, n := range ins {
			*out = append(*out, Change{Path: p.index(n).String(), Status: Added, New: b[n]})
		}
	}
}

// byName indexes a list of maps by their "name" when every element has a
// distinct one.
func byName(l []any) (map[string]any, bool) {
	if len(l) == 0 {
		return nil, false
	}
	m := make(map[string]any, len(l))
	for _, e := range l {
		em, ok := e.(map[string]any)
		if !ok {
			return nil, false
		}
		n, ok := em["name"].(string)
		if !ok {
			return nil, false
		}
		if _, dup := m[n]; dup {
			return nil, false
		}
		m[n] = em
	}
	return m, true
}

// leaves records every leaf of a subtree that was added or removed whole.
func leaves(p path, v any, st Status, out *[]Change) {
	switch x := v.(type) {
	case map[string]any:
		if len(x) > 0 {
			keys := make([]string, 0, len(x))
			for k := range x {
				keys = append(keys, k)
			}
			sort.Strings(keys)
			for _, k := range keys {
				leaves(p.key(k), x[k], st, out)
			}
			return
		}
	case []any:
		if len(x) > 0 {
			for i, e := range x {
				leaves(p.index(i), e, st, out)
			}
			return
		}
	}
	c := Change{Path: p.String(), Status: st}
	if st == Added {
		c.New = v
	} else {
		c.Old = v
	}
	*out = append(*out, c)
}

// path is a field path being walked.
type path []string

var plainKey = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

func (p path) key(k string) path {
	if len(p) == 0 && k == "spec" {
		return path{}
	}
	seg := "." + k
	if !plainKey.MatchString(k) {
		seg = "[" + strconv.Quote(k) + "]"
	}
	return append(p[:len(p):len(p)], seg)
}

func (p path) index(i int) path { return append(p[:len(p):len(p)], "["+strconv.Itoa(i)+"]") }

func (p path) named(n string) path {
	return append(p[:len(p):len(p)], "[name="+n+"]")
}

func (p path) String() string {
	s := strings.Join(p, "")
	if s == "" {
		return "spec"
	}
	return strings.TrimPrefix(s, ".")
}

// Value shows a value the way reports do: strings quoted, other scalars as
// YAML writes them, maps and lists in flow form.
func Value(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case string:
		return strconv.Quote(x)
	case map[string]any, []any:
		var n yaml.Node
		if err := n.Encode(x); err != nil {
			return fmt.Sprint(x)
		}
		flow(&n)
		b, err := yaml.Marshal(&n)
		if err != nil {
			return fmt.Sprint(x)
		}
		return strings.TrimSpace(string(b))
	}
	return fmt.Sprint(v)
}

func flow(n *yaml.Node) {
	n.Style |= yaml.FlowStyle
	for _, c := range n.Content {
		flow(c)
	}
}
