// Package model holds the types a pattern's CUE computes for an
// environment, as Go values: load decodes them once, plan and the
// generators read them. No CUE value outlives loading.
package model

import (
	"encoding/json"
	"fmt"
	"strings"
)

// Input is what plan needs of an environment as written.
type Input struct {
	Namespace string    `json:"namespace"`
	Hostnames Hostnames `json:"hostnames"`
	// Values is the `values:` escape hatch, by release key.
	Values map[string]map[string]any `json:"values"`
}

// Hostnames are an environment's hostnames.
type Hostnames struct {
	Gateway string `json:"gateway"`
	System  string `json:"system"`
}

// Output is a pattern's #Output.
type Output struct {
	// ExclusiveCluster: no other environment may share the cluster.
	ExclusiveCluster bool `json:"exclusiveCluster"`
	// NotForProduction, when set, says why the pattern is not recommended
	// for production environments.
	NotForProduction string              `json:"notForProduction"`
	Releases         map[string]*Release `json:"releases"` // by release key
	Objects          []Object            `json:"objects"`
	Files            map[string]string   `json:"files"`
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

// PatchObjects returns patches as kustomize `patches` entries, nil for
// none (as a YAML or JSON document without them reads back).
func PatchObjects(ps []Patch) []any {
	var out []any
	for _, p := range ps {
		out = append(out, p.Object())
	}
	return out
}

// ClusterObject names cluster-scoped objects of one kind; Name is a glob
// (Go filepath.Match syntax, which Argo CD matches AppProject names with).
// In JSON, as the schema computes it (#ClusterObject), it is one string,
// "<group>/<kind>/<name>".
type ClusterObject struct {
	Group string
	Kind  string
	Name  string
}

// String is the object's JSON form, "<group>/<kind>/<name>".
func (o ClusterObject) String() string { return o.Group + "/" + o.Kind + "/" + o.Name }

// MarshalJSON writes the string form.
func (o ClusterObject) MarshalJSON() ([]byte, error) { return json.Marshal(o.String()) }

// UnmarshalJSON reads the string form. Neither a group nor a kind holds a
// '/', and the name is what follows the second.
func (o *ClusterObject) UnmarshalJSON(data []byte) error {
	var s string
	if err := json.Unmarshal(data, &s); err != nil {
		return err
	}
	group, rest, ok1 := strings.Cut(s, "/")
	kind, name, ok2 := strings.Cut(rest, "/")
	if !ok1 || !ok2 || kind == "" || name == "" {
		return fmt.Errorf("cluster object %q: want <group>/<kind>/<name>", s)
	}
	*o = ClusterObject{Group: group, Kind: kind, Name: name}
	return nil
}

// Object is one Kubernetes object as a generic map.
type Object = map[string]any

// Group is the API group of an apiVersion: "" for the core group ("v1").
func Group(apiVersion string) string {
	if i := strings.LastIndex(apiVersion, "/"); i >= 0 {
		return apiVersion[:i]
	}
	return ""
}

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
	// Secrets are the Secrets the release reads, which the user creates.
	Secrets []SecretUse `json:"secrets"`
}

// SecretUse is a Secret a release reads from its namespace (CUE
// #SecretUse), and the keys it reads.
type SecretUse struct {
	Name string   `json:"name"`
	Type string   `json:"type"`
	Keys []string `json:"keys"`
}

// ReleaseBase is what every release of a chart key shares, whatever its
// pattern and environment (CUE #ReleaseBase): the Flux tree's
// apps/base/<key> carries it, and an environment's patch only what differs.
type ReleaseBase struct {
	CRDs       string         `json:"crds"`
	PostRender []Patch        `json:"postRender"`
	Values     map[string]any `json:"values"`
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
