package generate

import (
	"path"
	"reflect"
	"strings"

	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
)

// Flux API versions: the current ones only.
const (
	helmReleaseAPI   = "helm.toolkit.fluxcd.io/v2"
	sourceAPI        = "source.toolkit.fluxcd.io/v1"
	kustomizationAPI = "kustomize.toolkit.fluxcd.io/v1"
)

// Flux lays the plan out after fluxcd/flux2-kustomize-helm-example:
//
//	apps/base/<release>/       HelmRepository + HelmRelease: what every release of it shares
//	apps/<env>/                namespace, bases, objects, per-release patches
//	infrastructure/<cluster>/  cert-manager and the CRDs, once per cluster
//	clusters/<cluster>/        Flux Kustomizations: infrastructure, then apps
func Flux(p *plan.Plan) (tree.Tree, error) {
	g := newGen(p)
	for key, b := range p.Bases {
		g.base(key, b)
	}
	// The environments, and the clusters, are independent: each is
	// generated on its own, in parallel (encoding YAML is most of the
	// work), and merged in order.
	g.each(len(p.Environments), minEnvsPerWorker, func(sub *gen, i int) {
		sub.fluxEnv(p.Environments[i])
	})
	g.each(len(p.Clusters), minClustersPerWorker, func(sub *gen, i int) {
		sub.fluxCluster(p.Clusters[i])
	})
	return g.done()
}

func helmRepository(name string, c plan.Chart) map[string]any {
	// The type is always explicit, so that an environment's patch of the
	// URL also sets the type that goes with it.
	spec := map[string]any{"interval": sourceInterval, "url": c.Repository, "type": "default"}
	if strings.HasPrefix(c.Repository, "oci://") {
		spec["type"] = "oci"
	}
	return map[string]any{
		"apiVersion": sourceAPI, "kind": "HelmRepository",
		"metadata": map[string]any{"name": name},
		"spec":     spec,
	}
}

// base writes the environment-independent part of a release: its chart,
// Flux's settings and what every release of the key shares (#ReleaseBase).
func (g *gen) base(key string, b *plan.Base) {
	dir := path.Join("apps", "base", key)
	g.write(dir+"/repository.yaml", helmRepository(key, b.Chart))
	install := map[string]any{"remediation": map[string]any{"retries": 3}}
	upgrade := map[string]any{
		"cleanupOnFail": true,
		"remediation":   map[string]any{"retries": 3, "remediateLastFailure": true},
	}
	if b.CRDs != "" {
		install["crds"], upgrade["crds"] = b.CRDs, b.CRDs
	}
	spec := map[string]any{
		"interval": g.p.GitOps.Interval,
		"chart":    chartSpec(key, b.Chart),
		"install":  install,
		"upgrade":  upgrade,
	}
	setPostRenderers(spec, b.PostRender)
	if len(b.Values) > 0 {
		spec["values"] = b.Values
	}
	g.write(dir+"/release.yaml", map[string]any{
		"apiVersion": helmReleaseAPI, "kind": "HelmRelease",
		"metadata": map[string]any{"name": key},
		"spec":     spec,
	})
	g.write(dir+"/kustomization.yaml", kustomization("", []string{"repository.yaml", "release.yaml"}, nil))
}

// fluxEnv writes apps/<env>: the environment's objects, the bases, and one
// patch per release with everything that is the environment's own.
func (g *gen) fluxEnv(e *plan.Environment) {
	dir, objects := g.envObjects(e)
	resources := []string{objects[0]} // the namespace first, then the bases
	var patches []any
	for _, r := range e.Releases {
		resources = append(resources, "../base/"+r.Key)
		file := r.Key + "-release.yaml"
		base := g.p.Bases[r.Key]
		g.write(dir+"/"+file, releasePatch(r, base))
		patches = append(patches, map[string]any{"path": file})
		if base.Chart.Repository != r.Chart.Repository {
			file := r.Key + "-repository.yaml"
			repo := helmRepository(r.Key, r.Chart)
			delete(repo["spec"].(map[string]any), "interval")
			g.write(dir+"/"+file, repo)
			patches = append(patches, map[string]any{"path": file})
		}
	}
	resources = append(resources, objects[1:]...)
	g.write(dir+"/kustomization.yaml", kustomization(e.Namespace, resources, patches))
}

// releasePatch is the strategic-merge patch that makes the base release an
// environment's: its release name, and of its version, CRD policy, order,
// post-render patches and values what the base does not already say. The
// smaller the patch, the faster kustomize builds the folder (about half of
// an environment's build was a patch that repeated its base).
func releasePatch(r *plan.Release, base *plan.Base) map[string]any {
	spec := map[string]any{"releaseName": r.ReleaseName}
	if r.Chart.Version != base.Chart.Version {
		spec["chart"] = map[string]any{"spec": map[string]any{"version": r.Chart.Version}}
	}
	if r.CRDs != base.CRDs {
		spec["install"] = map[string]any{"crds": r.CRDs}
		spec["upgrade"] = map[string]any{"crds": r.CRDs}
	}
	if len(r.DependsOn) > 0 {
		spec["dependsOn"] = dependsOn(r.DependsOn)
	}
	if !reflect.DeepEqual(r.PostRender, base.PostRender) {
		setPostRenderers(spec, r.PostRender)
	}
	if v := valuesBeyond(r.Values, base.Values); len(v) > 0 {
		spec["values"] = v
	}
	return map[string]any{
		"apiVersion": helmReleaseAPI, "kind": "HelmRelease",
		"metadata": map[string]any{"name": r.Key},
		"spec":     spec,
	}
}

// fluxCluster writes infrastructure/<cluster> (the cluster's releases,
// shared objects and the CRD bundle) and clusters/<cluster> (what flux bootstrap points at).
func (g *gen) fluxCluster(c *plan.Cluster) {
	infra := path.Join("infrastructure", c.Name)
	var resources []string
	add := func(o plan.Object) {
		file := objectFile(o)
		if ns, _ := o["metadata"].(map[string]any)["namespace"].(string); ns != "" {
			file = ns + "-" + file
		}
		g.write(infra+"/"+file, o)
		resources = append(resources, file)
	}
	for _, r := range c.Releases {
		add(plan.Namespace(r.Namespace))
		repo := helmRepository(r.Key, r.Chart)
		repo["metadata"].(map[string]any)["namespace"] = r.Namespace
		add(repo)
		add(clusterRelease(r))
	}
	for _, o := range c.Objects {
		add(o)
	}
	b := c.CRDs
	add(plan.Object{
		"apiVersion": sourceAPI, "kind": "GitRepository",
		"metadata": map[string]any{"name": "apk-crds", "namespace": "flux-system"},
		"spec": map[string]any{
			"interval": sourceInterval,
			"url":      b.Repository,
			"ref":      map[string]any{"branch": b.Branch},
			// Only the bundle: the rest of the repository is not ours to apply.
			"ignore": "/*\n!/" + path.Join(b.Path, b.File) + "\n",
		},
	})
	add(plan.Object{
		"apiVersion": kustomizationAPI, "kind": "Kustomization",
		"metadata": map[string]any{"name": "apk-crds", "namespace": "flux-system"},
		"spec": map[string]any{
			"interval": sourceInterval,
			// A failed apply is retried soon, not at the next interval:
			// until it succeeds, infrastructure (wait) and every
			// environment after it wait.
			"retryInterval": kustomizationRetry,
			"timeout":       kustomizationTimeout,
			"path":          "./" + b.Path,
			// CRDs are never pruned: that would delete every API object.
			"prune":     false,
			"wait":      true,
			"sourceRef": map[string]any{"kind": "GitRepository", "name": "apk-crds"},
			"patches":   model.PatchObjects(b.Patches),
		},
	})
	g.write(infra+"/kustomization.yaml", kustomization("", resources, nil))

	dir := path.Join("clusters", c.Name)
	g.write(dir+"/infrastructure.yaml", g.fluxKustomization("infrastructure", infra, nil))
	for _, env := range c.Environments {
		g.write(dir+"/apps-"+env+".yaml",
			g.fluxKustomization("apps-"+env, path.Join("apps", env), []string{"infrastructure"}))
	}
}

// setPostRenderers gives a HelmRelease spec the release's post-render patches.
func setPostRenderers(spec map[string]any, patches []plan.Patch) {
	if len(patches) > 0 {
		spec["postRenderers"] = []any{map[string]any{"kustomize": map[string]any{"patches": model.PatchObjects(patches)}}}
	}
}

// valuesBeyond is what of values a patch over base must say: values
// without what base holds with the same value. A strategic merge keeps
// base's keys and replaces or deep-merges the patch's, and every release
// holds what its base holds (CUE unifies them), so base merged with the
// result is values again. (Through the values: escape hatch a value may
// differ from base's: a scalar or a map key is replaced or merged as
// Helm's values would be; a map replaced by a scalar or a list is refused
// by load, since kustomize cannot merge it.)
func valuesBeyond(values, base map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range values {
		b, ok := base[k]
		if !ok {
			out[k] = v
			continue
		}
		vm, vok := v.(map[string]any)
		bm, bok := b.(map[string]any)
		switch {
		case vok && bok:
			if d := valuesBeyond(vm, bm); len(d) > 0 {
				out[k] = d
			}
		case !reflect.DeepEqual(v, b):
			out[k] = v
		}
	}
	return out
}

// chartSpec is a HelmRelease's chart: c from the HelmRepository named key,
// which sits beside the release.
func chartSpec(key string, c plan.Chart) map[string]any {
	return map[string]any{"spec": map[string]any{
		"chart":     c.Name,
		"version":   c.Version,
		"sourceRef": map[string]any{"kind": "HelmRepository", "name": key},
	}}
}

// clusterRelease is the whole HelmRelease of a cluster's release.
func clusterRelease(r *plan.Release) plan.Object {
	policy := func() map[string]any {
		return map[string]any{"crds": r.CRDs, "remediation": map[string]any{"retries": 3}}
	}
	spec := map[string]any{
		"interval":    sourceInterval,
		"releaseName": r.ReleaseName,
		"chart":       chartSpec(r.Key, r.Chart),
		"install":     policy(),
		"upgrade":     policy(),
		"values":      r.Values,
	}
	setPostRenderers(spec, r.PostRender)
	return plan.Object{
		"apiVersion": helmReleaseAPI, "kind": "HelmRelease",
		"metadata": map[string]any{"name": r.Key, "namespace": r.Namespace},
		"spec":     spec,
	}
}

// How soon a failed Flux Kustomization is tried again, and how long an
// apply and its wait may take; each defaults to the interval, an hour for
// apk-crds.
const (
	kustomizationRetry   = "2m"
	kustomizationTimeout = "15m"
)

// fluxKustomization applies a folder of the tree from the GitRepository
// flux bootstrap creates (flux-system), waiting for what it applies to be ready.
func (g *gen) fluxKustomization(name, dir string, deps []string) map[string]any {
	spec := map[string]any{
		"interval":      g.p.GitOps.Interval,
		"retryInterval": kustomizationRetry,
		"timeout":       kustomizationTimeout,
		"path":          "./" + path.Join(g.p.GitOps.Path, dir),
		"prune":         true,
		"wait":          true,
		"sourceRef":     map[string]any{"kind": "GitRepository", "name": "flux-system"},
	}
	if len(deps) > 0 {
		spec["dependsOn"] = dependsOn(deps)
	}
	return map[string]any{
		"apiVersion": kustomizationAPI, "kind": "Kustomization",
		"metadata": map[string]any{"name": name, "namespace": "flux-system"},
		"spec":     spec,
	}
}

// dependsOn is a Flux dependsOn list: objects of the same namespace by name.
func dependsOn(names []string) []any {
	deps := make([]any, len(names))
	for i, d := range names {
		deps[i] = map[string]any{"name": d}
	}
	return deps
}
