package generate

import (
	"fmt"
	"path"
	"strings"

	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
)

// Flux API versions: the current ones only.
const (
	helmReleaseAPI   = "helm.toolkit.fluxcd.io/v2"
	sourceAPI        = "source.toolkit.fluxcd.io/v1"
	kustomizationAPI = "kustomize.toolkit.fluxcd.io/v1"
	kustomizeAPI     = "kustomize.config.k8s.io/v1beta1"
)

// RenderedDir holds the hydrated manifests of build --render:
// rendered/<env>/<release>/<kind>-<name>.yaml.
const RenderedDir = "rendered"

// EnvOf returns the environment a path of the tree belongs to, or "" for
// shared files (bases, infrastructure, the marker). build --env rewrites
// only the files of the named environments and the shared ones.
func EnvOf(p string) string {
	parts := strings.Split(p, "/")
	switch {
	case len(parts) >= 3 && parts[0] == "apps" && parts[1] != "base":
		return parts[1]
	case len(parts) >= 3 && parts[0] == RenderedDir:
		return parts[1]
	case len(parts) == 3 && parts[0] == "clusters" && strings.HasPrefix(parts[2], "apps-") && strings.HasSuffix(parts[2], ".yaml"):
		return strings.TrimSuffix(strings.TrimPrefix(parts[2], "apps-"), ".yaml")
	}
	return ""
}

// Flux lays the plan out after fluxcd/flux2-kustomize-helm-example:
//
//	apps/base/<release>/       HelmRepository + HelmRelease, no values
//	apps/<env>/                namespace, bases, objects, per-release patches
//	infrastructure/<cluster>/  cert-manager and the CRDs, once per cluster
//	clusters/<cluster>/        Flux Kustomizations: infrastructure, then apps
func Flux(p *plan.Plan) (tree.Tree, error) {
	g := &gen{t: tree.Tree{}, p: p}
	g.t[tree.Marker] = []byte(tree.MarkerText)
	for key, chart := range p.BaseCharts {
		g.base(key, chart)
	}
	for _, e := range p.Environments {
		g.env(e)
	}
	for _, c := range p.Clusters {
		g.cluster(c)
	}
	if g.err != nil {
		return nil, g.err
	}
	return g.t, nil
}

type gen struct {
	t   tree.Tree
	p   *plan.Plan
	err error
}

// write encodes objects into one file.
func (g *gen) write(file string, objs ...any) {
	b, err := manifest.Encode(objs...)
	if err != nil && g.err == nil {
		g.err = fmt.Errorf("%s: %w", file, err)
	}
	g.t[file] = b
}

func kustomization(namespace string, resources, patches []string) map[string]any {
	k := map[string]any{"apiVersion": kustomizeAPI, "kind": "Kustomization"}
	if namespace != "" {
		k["namespace"] = namespace
	}
	k["resources"] = resources
	if len(patches) > 0 {
		ps := make([]any, len(patches))
		for i, p := range patches {
			ps[i] = map[string]any{"path": p}
		}
		k["patches"] = ps
	}
	return k
}

func helmRepository(name string, c plan.Chart) map[string]any {
	// The type is always explicit, so that an environment's patch of the
	// URL also sets the type that goes with it.
	spec := map[string]any{"interval": "1h", "url": c.Repository, "type": "default"}
	if strings.HasPrefix(c.Repository, "oci://") {
		spec["type"] = "oci"
	}
	return map[string]any{
		"apiVersion": sourceAPI, "kind": "HelmRepository",
		"metadata": map[string]any{"name": name},
		"spec":     spec,
	}
}

// base writes the environment-independent part of a release.
func (g *gen) base(key string, c plan.Chart) {
	dir := path.Join("apps", "base", key)
	g.write(dir+"/repository.yaml", helmRepository(key, c))
	g.write(dir+"/release.yaml", map[string]any{
		"apiVersion": helmReleaseAPI, "kind": "HelmRelease",
		"metadata": map[string]any{"name": key},
		"spec": map[string]any{
			"interval": g.p.GitOps.Interval,
			"chart": map[string]any{"spec": map[string]any{
				"chart":     c.Name,
				"version":   c.Version,
				"sourceRef": map[string]any{"kind": "HelmRepository", "name": key},
			}},
			"install": map[string]any{"remediation": map[string]any{"retries": 3}},
			"upgrade": map[string]any{
				"cleanupOnFail": true,
				"remediation":   map[string]any{"retries": 3, "remediateLastFailure": true},
			},
		},
	})
	g.write(dir+"/kustomization.yaml", kustomization("", []string{"repository.yaml", "release.yaml"}, nil))
}

// env writes apps/<env>: the bases, the environment's objects, and one
// patch per release with everything that is the environment's own.
func (g *gen) env(e *plan.Environment) {
	dir := path.Join("apps", e.Name)
	resources := []string{"namespace.yaml"}
	g.write(dir+"/namespace.yaml", map[string]any{
		"apiVersion": "v1", "kind": "Namespace",
		"metadata": map[string]any{"name": e.Namespace},
	})
	var patches []string
	for _, r := range e.Releases {
		resources = append(resources, "../base/"+r.Key)
		file := r.Key + "-release.yaml"
		g.write(dir+"/"+file, releasePatch(r))
		patches = append(patches, file)
		if base := g.p.BaseCharts[r.Key]; base.Repository != r.Chart.Repository {
			file := r.Key + "-repository.yaml"
			repo := helmRepository(r.Key, r.Chart)
			delete(repo["spec"].(map[string]any), "interval")
			g.write(dir+"/"+file, repo)
			patches = append(patches, file)
		}
	}
	for _, o := range e.Objects {
		file := objectFile(o)
		g.write(dir+"/"+file, o)
		resources = append(resources, file)
	}
	g.write(dir+"/kustomization.yaml", kustomization(e.Namespace, resources, patches))
	for name, content := range e.Files {
		g.t[dir+"/"+name] = []byte(manifest.Header + content)
	}
}

// releasePatch is the strategic-merge patch that makes the base release an
// environment's: release name, version, CRD policy, order, post-render
// patches and values.
func releasePatch(r *plan.Release) map[string]any {
	spec := map[string]any{
		"releaseName": r.ReleaseName,
		"chart":       map[string]any{"spec": map[string]any{"version": r.Chart.Version}},
		"install":     map[string]any{"crds": r.CRDs},
		"upgrade":     map[string]any{"crds": r.CRDs},
		"values":      r.Values,
	}
	if len(r.DependsOn) > 0 {
		deps := make([]any, len(r.DependsOn))
		for i, d := range r.DependsOn {
			deps[i] = map[string]any{"name": d}
		}
		spec["dependsOn"] = deps
	}
	if len(r.PostRender) > 0 {
		patches := make([]any, len(r.PostRender))
		for i, p := range r.PostRender {
			patches[i] = p
		}
		spec["postRenderers"] = []any{map[string]any{"kustomize": map[string]any{"patches": patches}}}
	}
	return map[string]any{
		"apiVersion": helmReleaseAPI, "kind": "HelmRelease",
		"metadata": map[string]any{"name": r.Key},
		"spec":     spec,
	}
}

// objectFile names an object's file after its kind and name.
func objectFile(o plan.Object) string {
	kind, _ := o["kind"].(string)
	name, _ := o["metadata"].(map[string]any)["name"].(string)
	return strings.ToLower(kind) + "-" + name + ".yaml"
}

// cluster writes infrastructure/<cluster> and clusters/<cluster>.
func (g *gen) cluster(c *plan.Cluster) {
	infra := path.Join("infrastructure", c.Name)
	var resources []string
	for _, o := range c.Infrastructure {
		file := objectFile(o)
		if ns, _ := o["metadata"].(map[string]any)["namespace"].(string); ns != "" {
			file = ns + "-" + file
		}
		g.write(infra+"/"+file, o)
		resources = append(resources, file)
	}
	g.write(infra+"/kustomization.yaml", kustomization("", resources, nil))

	dir := path.Join("clusters", c.Name)
	g.write(dir+"/infrastructure.yaml", g.fluxKustomization("infrastructure", infra, nil))
	for _, env := range c.Environments {
		g.write(dir+"/apps-"+env+".yaml",
			g.fluxKustomization("apps-"+env, path.Join("apps", env), []string{"infrastructure"}))
	}
}

// fluxKustomization applies a folder of the tree from the GitRepository
// flux bootstrap creates (flux-system), waiting for what it applies to be ready.
func (g *gen) fluxKustomization(name, dir string, dependsOn []string) map[string]any {
	spec := map[string]any{
		"interval":      g.p.GitOps.Interval,
		"retryInterval": "2m",
		"timeout":       "15m",
		"path":          "./" + path.Join(g.p.GitOps.Path, dir),
		"prune":         true,
		"wait":          true,
		"sourceRef":     map[string]any{"kind": "GitRepository", "name": "flux-system"},
	}
	if len(dependsOn) > 0 {
		deps := make([]any, len(dependsOn))
		for i, d := range dependsOn {
			deps[i] = map[string]any{"name": d}
		}
		spec["dependsOn"] = deps
	}
	return map[string]any{
		"apiVersion": kustomizationAPI, "kind": "Kustomization",
		"metadata": map[string]any{"name": name, "namespace": "flux-system"},
		"spec":     spec,
	}
}
