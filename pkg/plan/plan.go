// Package plan turns a validated environments file into the typed model the
// generators work from: per environment, its Helm releases and objects; per
// cluster, its shared infrastructure. The values come from the pattern's CUE;
// plan only decodes them and applies the user's `values:` escape hatch.
package plan

import (
	"fmt"
	"sort"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/pkg/load"
)

// Plan is everything the generators need.
type Plan struct {
	GitOps       GitOps
	Clusters     []*Cluster     // sorted by name
	Environments []*Environment // sorted by name
	// BaseCharts are the file-level chart coordinates per release key,
	// which the shared bases carry.
	BaseCharts map[string]Chart
}

// GitOps is the gitops block of the file, defaults applied.
type GitOps struct {
	Engine   string `json:"engine"`
	Path     string `json:"path"`
	RepoURL  string `json:"repoURL"`
	Revision string `json:"revision"`
	Interval string `json:"interval"`
}

// InCluster is the API server Argo CD reaches its own cluster at, the
// default of clusters.<name>.server.
const InCluster = load.InCluster

// Cluster is a cluster and what it gets once.
type Cluster struct {
	Name string
	// Server is the API server URL (clusters.<name>.server, else InCluster).
	Server       string
	Environments []string // names, sorted
	// Releases are installed once per cluster (cert-manager), sorted by key,
	// each with its Namespace set.
	Releases []*Release
	// CRDs is the APK CRD bundle, applied once per cluster.
	CRDs CRDBundle
}

// CRDBundle is a file of CRDs in a git repository.
type CRDBundle struct {
	Repository string `json:"repository"`
	Branch     string `json:"branch"`
	Path       string `json:"path"` // the folder holding File
	File       string `json:"file"`
	// URL is the file itself, for tools that fetch a file, not a repository.
	URL string `json:"url"`
	// Patches remove what the cluster must not get from the bundle.
	Patches []Patch `json:"patches"`
	// ClusterScoped is what the bundle creates once patched.
	ClusterScoped []ClusterObject `json:"clusterScoped"`
}

// Patch is a kustomize patch with the target it applies to.
type Patch struct {
	Patch  string         `json:"patch"`
	Target map[string]any `json:"target"`
}

// Object returns the patch as kustomize and Flux write it: {patch, target}.
func (p Patch) Object() map[string]any {
	return map[string]any{"patch": p.Patch, "target": p.Target}
}

// ClusterObject names cluster-scoped objects of one kind; Name is a glob
// (Go filepath.Match syntax, which Argo CD matches AppProject names with).
type ClusterObject struct {
	Group string `json:"group"`
	Kind  string `json:"kind"`
	Name  string `json:"name"`
}

// Object is one Kubernetes object as a generic map.
type Object = map[string]any

// Chart locates a Helm chart.
type Chart struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
}

// Release is one Helm release of an environment or a cluster.
type Release struct {
	Key         string `json:"-"`
	Chart       Chart  `json:"chart"`
	ReleaseName string `json:"releaseName"`
	Namespace   string `json:"namespace"`
	// OtherNamespaces are namespaces besides Namespace the release writes to.
	OtherNamespaces []string       `json:"otherNamespaces"`
	CRDs            string         `json:"crds"` // Skip, Create or CreateReplace
	Values          map[string]any `json:"values"`
	PostRender      []Patch        `json:"postRender"`
	DependsOn       []string       `json:"dependsOn"`
	// ClusterScoped is every cluster-scoped object the release creates.
	ClusterScoped []ClusterObject `json:"clusterScoped"`
	// Lands are values that must show in the rendered chart (apkgen verify).
	Lands []Landing `json:"lands"`
}

// Landing is a value a release sets that must reach a rendered object:
// some string under the dotted path In of an object of Kind (and Name)
// equals Value or holds it quoted.
type Landing struct {
	Kind  string `json:"kind"`
	Name  string `json:"name,omitempty"`
	In    string `json:"in"`
	Value string `json:"value"`
	What  string `json:"what"`
}

// SkipsCRDs reports whether the release leaves the chart's crds/ folder out.
func (r *Release) SkipsCRDs() bool { return r.CRDs == "Skip" }

// Environment is one environment's releases and objects.
type Environment struct {
	Name      string
	Pattern   string
	Cluster   string
	Namespace string
	Hostnames struct {
		Gateway string `json:"gateway"`
		System  string `json:"system"`
	}
	Releases []*Release // sorted by key
	Objects  []Object
	// Files are written beside the manifests and not applied.
	Files map[string]string
}

// Release returns the release with the given key, or nil.
func (e *Environment) Release(key string) *Release {
	for _, r := range e.Releases {
		if r.Key == key {
			return r
		}
	}
	return nil
}

// Build computes the plan of a validated file.
func Build(f *load.File) (*Plan, error) {
	p := &Plan{BaseCharts: map[string]Chart{}}
	if err := f.Value.LookupPath(cue.ParsePath("gitops")).Decode(&p.GitOps); err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	envsOn := map[string][]string{}
	for _, le := range f.Envs {
		e, err := environment(le)
		if err != nil {
			return nil, fmt.Errorf("environment %s: %w", le.Name, err)
		}
		p.Environments = append(p.Environments, e)
		envsOn[e.Cluster] = append(envsOn[e.Cluster], e.Name)
		for _, r := range e.Releases {
			if _, ok := p.BaseCharts[r.Key]; ok {
				continue
			}
			name, version, repo, err := f.Charts(r.Key)
			if err != nil {
				return nil, fmt.Errorf("charts.%s: %w", r.Key, err)
			}
			p.BaseCharts[r.Key] = Chart{Name: name, Version: version, Repository: repo}
		}
	}
	for _, name := range f.Clusters {
		c, err := cluster(f, name)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
		c.Environments = envsOn[name]
		p.Clusters = append(p.Clusters, c)
	}
	return p, nil
}

func environment(le *load.Env) (*Environment, error) {
	e := &Environment{Name: le.Name, Pattern: le.Pattern, Cluster: le.Cluster}
	in := le.Eval.LookupPath(cue.ParsePath("in"))
	var err error
	if e.Namespace, err = in.LookupPath(cue.ParsePath("namespace")).String(); err != nil {
		return nil, err
	}
	if err := in.LookupPath(cue.ParsePath("hostnames")).Decode(&e.Hostnames); err != nil {
		return nil, err
	}
	var out struct {
		Releases map[string]*Release `json:"releases"`
		Objects  []Object            `json:"objects"`
		Files    map[string]string   `json:"files"`
	}
	if err := le.Eval.LookupPath(cue.ParsePath("out")).Decode(&out); err != nil {
		return nil, err
	}
	var overrides map[string]map[string]any
	if v := in.LookupPath(cue.ParsePath("values")); v.Exists() {
		if err := v.Decode(&overrides); err != nil {
			return nil, err
		}
	}
	for key, r := range out.Releases {
		r.Values = deepMerge(r.Values, overrides[key])
		if r.Namespace == "" {
			r.Namespace = e.Namespace
		}
	}
	e.Releases = sortReleases(out.Releases)
	e.Objects = out.Objects
	e.Files = out.Files
	return e, nil
}

// sortReleases keys the releases and sorts them by key.
func sortReleases(m map[string]*Release) []*Release {
	out := make([]*Release, 0, len(m))
	for key, r := range m {
		r.Key = key
		out = append(out, r)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Key < out[j].Key })
	return out
}

func cluster(f *load.File, name string) (*Cluster, error) {
	cv := f.Value.LookupPath(cue.MakePath(cue.Str("clusters"), cue.Str(name)))
	c := &Cluster{Name: name, Server: InCluster}
	if s := cv.LookupPath(cue.ParsePath("server")); s.Exists() {
		c.Server, _ = s.String()
	}
	infra := f.Schema.LookupPath(cue.MakePath(cue.Def("Infrastructure"))).
		FillPath(cue.ParsePath("in.name"), name).
		FillPath(cue.ParsePath("in.cluster"), cv)
	charts := f.Value.LookupPath(cue.ParsePath("charts"))
	if !charts.Exists() {
		charts = f.Value.Context().CompileString("{}")
	}
	infra = infra.FillPath(cue.ParsePath("in.charts"), charts)
	var out struct {
		Releases map[string]*Release `json:"releases"`
		CRDs     CRDBundle           `json:"crds"`
	}
	if err := infra.LookupPath(cue.ParsePath("out")).Decode(&out); err != nil {
		return nil, err
	}
	c.Releases = sortReleases(out.Releases)
	c.CRDs = out.CRDs
	return c, nil
}

// deepMerge merges over into base: maps merge key by key, anything else in
// over replaces what base has. Neither argument is modified.
func deepMerge(base, over map[string]any) map[string]any {
	if len(over) == 0 {
		return base
	}
	out := make(map[string]any, len(base)+len(over))
	for k, v := range base {
		out[k] = v
	}
	for k, ov := range over {
		bm, bok := out[k].(map[string]any)
		om, ook := ov.(map[string]any)
		if bok && ook {
			out[k] = deepMerge(bm, om)
			continue
		}
		out[k] = ov
	}
	return out
}
