// Package generate lays a plan out as the GitOps tree of the chosen engine.
// Both layouts share the environment folders (apps/<env>: namespace and
// objects) and differ in how a Helm release is written: a Flux HelmRelease,
// or, for Argo CD, a kustomize folder that inflates the chart.
package generate

import (
	"fmt"
	"maps"
	"path"
	"strings"

	"github.com/apkgen/apkgen/internal/par"
	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
)

const kustomizeAPI = "kustomize.config.k8s.io/v1beta1"

// sourceInterval is how often what rarely changes (chart repositories, the
// CRD bundle, the cluster's releases) is checked.
const sourceInterval = "1h"

// Generate returns the tree for the plan's engine, paths relative to the
// folder apkgen owns (gitops.path).
func Generate(p *plan.Plan) (tree.Tree, error) {
	var (
		t   tree.Tree
		err error
	)
	switch p.GitOps.Engine {
	case "flux":
		t, err = Flux(p)
	case "argocd":
		t, err = ArgoCD(p)
	default:
		return nil, fmt.Errorf("gitops.engine %q: not supported; use flux or argocd", p.GitOps.Engine)
	}
	if err != nil {
		return nil, err
	}
	t[ReadmeFile] = Readme(p)
	return t, nil
}

// RenderedDir holds the hydrated manifests of build --render:
// rendered/<env>/<release>/<kind>-<name>.yaml.
const RenderedDir = "rendered"

// EnvOf returns the environment a path of the tree belongs to, or "" for
// shared files (bases, infrastructure, cluster-wide Argo CD objects, the
// marker). build --env rewrites only the files of the named environments
// and the shared ones.
func EnvOf(p string) string {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) >= 3 && parts[0] == "apps" && parts[1] != "base":
		return parts[1]
	case len(parts) >= 3 && parts[0] == RenderedDir:
		return parts[1]
	case len(parts) == 3 && parts[0] == "clusters" && strings.HasPrefix(parts[2], "apps-") && strings.HasSuffix(parts[2], ".yaml"):
		return strings.TrimSuffix(strings.TrimPrefix(parts[2], "apps-"), ".yaml")
	case len(parts) >= 4 && parts[0] == "argocd":
		return parts[2] // argocd/<cluster>/<env>/...
	}
	return ""
}

// ClusterOf returns the cluster whose folder holds a path of the tree
// (infrastructure/<cluster>, clusters/<cluster>, argocd/<cluster>), or "".
// A path of an environment's may be in its cluster's folder too: EnvOf
// tells those apart.
func ClusterOf(p string) string {
	parts := strings.Split(p, "/")
	if len(parts) >= 3 {
		switch parts[0] {
		case "infrastructure", "clusters", "argocd":
			return parts[1]
		}
	}
	return ""
}

// gen collects the files of a tree and the first error.
type gen struct {
	t   tree.Tree
	p   *plan.Plan
	err error
}

func newGen(p *plan.Plan) *gen {
	g := &gen{t: tree.Tree{}, p: p}
	g.t[tree.Marker] = []byte(tree.MarkerText)
	return g
}

// minEnvsPerWorker is how many environments pay for generating on another
// goroutine.
const minEnvsPerWorker = 16

// minClustersPerWorker is the same for clusters, each of which holds the
// files of its environments' Flux Kustomizations or Argo CD Applications.
const minClustersPerWorker = 4

// each runs item for 0 <= i < n on a few workers, each item writing into
// a gen of its own, and merges their files (and the first error) in order.
func (g *gen) each(n, minPerWorker int, item func(sub *gen, i int)) {
	subs := make([]*gen, n)
	par.For(n, par.Workers(n, minPerWorker), func(_, i int) {
		subs[i] = &gen{t: tree.Tree{}, p: g.p}
		item(subs[i], i)
	})
	for _, s := range subs {
		g.merge(s)
	}
}

// merge adds the files (and the first error) of another gen.
func (g *gen) merge(o *gen) {
	maps.Copy(g.t, o.t)
	if g.err == nil {
		g.err = o.err
	}
}

func (g *gen) done() (tree.Tree, error) {
	if g.err != nil {
		return nil, g.err
	}
	return g.t, nil
}

// write encodes objects into one file.
func (g *gen) write(file string, objs ...any) {
	b, err := manifest.Encode(objs...)
	if err != nil && g.err == nil {
		g.err = fmt.Errorf("%s: %w", file, err)
	}
	g.t[file] = b
}

// writeObjects writes each object into dir, in a file named after it, and
// returns the file names.
func (g *gen) writeObjects(dir string, objs ...plan.Object) []string {
	files := make([]string, len(objs))
	for i, o := range objs {
		files[i] = objectFile(o)
		g.write(path.Join(dir, files[i]), o)
	}
	return files
}

// envObjects writes what an environment has besides its releases into
// apps/<env>: its namespace, its objects and the files not applied. It
// returns the folder and the files to list as kustomize resources.
func (g *gen) envObjects(e *plan.Environment) (dir string, resources []string) {
	dir = path.Join("apps", e.Name)
	g.write(dir+"/namespace.yaml", plan.Namespace(e.Namespace))
	resources = append([]string{"namespace.yaml"}, g.writeObjects(dir, e.Objects...)...)
	for name, content := range e.Files {
		g.t[dir+"/"+name] = []byte(manifest.Header + content)
	}
	return dir, resources
}

// kustomization is a kustomization.yaml; patches are its `patches` entries.
func kustomization(namespace string, resources []string, patches []any) map[string]any {
	k := map[string]any{"apiVersion": kustomizeAPI, "kind": "Kustomization"}
	if namespace != "" {
		k["namespace"] = namespace
	}
	if len(resources) > 0 {
		k["resources"] = resources
	}
	if len(patches) > 0 {
		k["patches"] = patches
	}
	return k
}

// objectFile names an object's file after its kind and name.
func objectFile(o plan.Object) string {
	kind, name := kindName(o)
	return strings.ToLower(kind) + "-" + name + ".yaml"
}

// kindName is an object's kind and metadata.name.
func kindName(o plan.Object) (kind, name string) {
	kind, _ = o["kind"].(string)
	name, _ = o["metadata"].(map[string]any)["name"].(string)
	return kind, name
}
