// Package plan turns a validated environments file into the typed model the
// generators work from: per environment, its Helm releases and objects; per
// cluster, its shared infrastructure. The values come from the pattern's CUE;
// plan only decodes them and applies the user's `values:` escape hatch.
package plan

import (
	"fmt"
	"sort"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/model"
)

// Plan is everything the generators need.
type Plan struct {
	GitOps       GitOps
	Clusters     []*Cluster     // sorted by name
	Environments []*Environment // sorted by name
	// Bases are, per release key, what the shared bases carry: the
	// file-level chart coordinates and #ReleaseBase.
	Bases map[string]*Base
}

// Base is what every release of a key shares in this file.
type Base struct {
	Chart Chart
	model.ReleaseBase
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
	// Objects are cluster-scoped objects the cluster's releases share
	// (ClusterRole gateway-api-admission), applied once per cluster.
	Objects []Object
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

// The pattern's types, decoded by load (package model).
type (
	Patch         = model.Patch
	ClusterObject = model.ClusterObject
	Object        = model.Object
	Chart         = model.Chart
	Release       = model.Release
	Landing       = model.Landing
)

// Namespace is the Namespace object apkgen writes for an environment's
// (or a cluster release's) namespace.
func Namespace(name string) Object {
	return Object{"apiVersion": "v1", "kind": "Namespace", "metadata": map[string]any{"name": name}}
}

// Environment is one environment's releases and objects.
type Environment struct {
	Name      string
	Pattern   string
	Cluster   string
	Namespace string
	Hostnames model.Hostnames
	Releases  []*Release // sorted by key
	Objects   []Object
	// Files are written beside the manifests and not applied.
	Files map[string]string
}

// Build computes the plan of a validated file.
func Build(f *load.File) (*Plan, error) {
	p := &Plan{Bases: map[string]*Base{}}
	if err := f.Value.LookupPath(cue.ParsePath("gitops")).Decode(&p.GitOps); err != nil {
		return nil, fmt.Errorf("gitops: %w", err)
	}
	charts, err := f.Charts()
	if err != nil {
		return nil, err
	}
	envsOn := map[string][]string{}
	for _, le := range f.Envs {
		e := environment(le)
		p.Environments = append(p.Environments, e)
		envsOn[e.Cluster] = append(envsOn[e.Cluster], e.Name)
		for _, r := range e.Releases {
			if _, ok := p.Bases[r.Key]; ok {
				continue
			}
			p.Bases[r.Key] = &Base{Chart: charts[r.Key], ReleaseBase: f.Bases[r.Key]}
		}
	}
	infra := infrastructures{}
	for _, name := range f.Clusters {
		c, err := cluster(f, name, infra)
		if err != nil {
			return nil, fmt.Errorf("cluster %s: %w", name, err)
		}
		c.Environments = envsOn[name]
		p.Clusters = append(p.Clusters, c)
	}
	return p, nil
}

func environment(le *load.Env) *Environment {
	e := &Environment{Name: le.Name, Pattern: le.Pattern, Cluster: le.Cluster, Namespace: le.In.Namespace, Hostnames: le.In.Hostnames}
	out := le.Out
	for key, r := range out.Releases {
		r.Values = deepMerge(r.Values, le.In.Values[key])
		if r.Namespace == "" {
			r.Namespace = e.Namespace
		}
	}
	e.Releases = sortReleases(out.Releases)
	e.Objects = out.Objects
	e.Files = out.Files
	return e
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

// infrastructures are #Infrastructure's outputs, as JSON, by the cluster
// settings they were computed from (as JSON): clusters set alike, as most
// are, share one evaluation, which was most of planning a cluster. Each
// cluster decodes its own copy.
type infrastructures map[string][]byte

func (m infrastructures) of(f *load.File, cv cue.Value) ([]byte, error) {
	key, err := cv.MarshalJSON()
	if err != nil {
		return nil, err
	}
	if out, ok := m[string(key)]; ok {
		return out, nil
	}
	out, err := f.Schema.LookupPath(cue.MakePath(cue.Def("Infrastructure"))).
		FillPath(cue.ParsePath("in.cluster"), cv).LookupPath(cue.ParsePath("out")).MarshalJSON()
	if err != nil {
		return nil, err
	}
	m[string(key)] = out
	return out, nil
}

func cluster(f *load.File, name string, infra infrastructures) (*Cluster, error) {
	cv := f.Value.LookupPath(cue.MakePath(cue.Str("clusters"), cue.Str(name)))
	c := &Cluster{Name: name, Server: load.Server(cv)}
	data, err := infra.of(f, cv)
	if err != nil {
		return nil, err
	}
	var out struct {
		Releases map[string]*Release `json:"releases"`
		CRDs     CRDBundle           `json:"crds"`
		Objects  []Object            `json:"objects"`
	}
	if err := jsonnum.Unmarshal(data, &out); err != nil {
		return nil, err
	}
	c.Releases = sortReleases(out.Releases)
	c.CRDs = out.CRDs
	c.Objects = out.Objects
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
