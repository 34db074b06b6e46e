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

// Cluster is a cluster and what it gets once.
type Cluster struct {
	Name         string
	Server       string
	Environments []string // names, sorted
	// Infrastructure are the cluster-wide objects (cert-manager, CRDs).
	Infrastructure []Object
}

// Object is one Kubernetes object as a generic map.
type Object = map[string]any

// Chart locates a Helm chart.
type Chart struct {
	Name       string `json:"name"`
	Version    string `json:"version"`
	Repository string `json:"repository"`
}

// Release is one Helm release of an environment.
type Release struct {
	Key         string         `json:"-"`
	Chart       Chart          `json:"chart"`
	ReleaseName string         `json:"releaseName"`
	CRDs        string         `json:"crds"`
	Values      map[string]any `json:"values"`
	PostRender  []Object       `json:"postRender"`
	DependsOn   []string       `json:"dependsOn"`
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
		r.Key = key
		r.Values = deepMerge(r.Values, overrides[key])
		e.Releases = append(e.Releases, r)
	}
	sort.Slice(e.Releases, func(i, j int) bool { return e.Releases[i].Key < e.Releases[j].Key })
	e.Objects = out.Objects
	e.Files = out.Files
	return e, nil
}

func cluster(f *load.File, name string) (*Cluster, error) {
	cv := f.Value.LookupPath(cue.MakePath(cue.Str("clusters"), cue.Str(name)))
	c := &Cluster{Name: name}
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
	if err := infra.LookupPath(cue.ParsePath("out.objects")).Decode(&c.Infrastructure); err != nil {
		return nil, err
	}
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
