package generate

import (
	"fmt"
	"maps"
	"path"
	"slices"
	"strconv"
	"strings"

	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
)

const argoAPI = "argoproj.io/v1alpha1"

// ArgoNamespace is where Argo CD runs and reads Applications and AppProjects.
const ArgoNamespace = "argocd"

// Sync waves of the root Application of a cluster: projects, then the
// cluster's infrastructure, then each environment's namespace and objects,
// then the releases, a wave further for each release they depend on.
const (
	waveProjects = -3
	waveInfra    = -2
	waveEnv      = -1
	waveReleases = 0
)

// Argo CD objects that must not outlive their Application carry this
// finalizer: deleting the Application deletes what it deployed.
const cascadeFinalizer = "resources-finalizer.argocd.argoproj.io"

// crdNamespace is the destination of the CRD bundle's Application, which
// holds only cluster-scoped objects; it exists on every cluster.
const crdNamespace = "kube-system"

// ArgoCD lays the plan out for a stock Argo CD with kustomize's Helm support
// (kustomize.buildOptions: --enable-helm):
//
//	apps/<env>/                     namespace and objects of the environment
//	apps/<env>/<release>/           helmCharts inflation plus the post-render patches
//	infrastructure/<cluster>/<rel>/ the cluster's releases (cert-manager), the same way
//	infrastructure/<cluster>/apk-crds/ the CRD bundle, fetched and patched by kustomize
//	infrastructure/<cluster>/apk-shared/ cluster-scoped objects the releases share
//	argocd/<cluster>/bootstrap.yaml AppProject and root Application: apply once
//	argocd/<cluster>/               the root's source: infrastructure project and Applications
//	argocd/<cluster>/<env>/         the environment's AppProject and Applications
func ArgoCD(p *plan.Plan) (tree.Tree, error) {
	if p.GitOps.RepoURL == "" {
		return nil, fmt.Errorf("gitops.repoURL is required with gitops.engine argocd")
	}
	g := newGen(p)
	envs := map[string]*plan.Environment{}
	for _, e := range p.Environments {
		envs[e.Name] = e
	}
	// Clusters are independent: generated in parallel, merged in order.
	g.each(len(p.Clusters), minClustersPerWorker, func(sub *gen, i int) {
		c := p.Clusters[i]
		root := path.Join("argocd", c.Name)
		resources := sub.argoInfrastructure(c, root)
		for _, name := range c.Environments {
			sub.argoEnv(c, envs[name], path.Join(root, name))
			resources = append(resources, name)
		}
		sub.write(root+"/kustomization.yaml", kustomization("", resources, nil))
		sub.argoBootstrap(c, root)
	})
	return g.done()
}

// argoInfrastructure writes the cluster's releases, shared objects and CRD
// bundle, and into root their AppProject and Applications. It returns
// root's files.
func (g *gen) argoInfrastructure(c *plan.Cluster, root string) []string {
	infra := path.Join("infrastructure", c.Name)
	project := c.Name + "-infrastructure"
	proj := newProject(project, fmt.Sprintf("apkgen: what cluster %s gets once (CRDs, cert-manager, shared RBAC)", c.Name), g.p.GitOps.RepoURL)
	proj.allow(c.Server, crdNamespace, c.CRDs.ClusterScoped...)
	var apps []plan.Object
	for _, r := range c.Releases {
		dir := path.Join(infra, r.Key)
		g.write(dir+"/namespace.yaml", plan.Namespace(r.Namespace))
		g.helmFolder(dir, r, "namespace.yaml")
		proj.allowRelease(c.Server, r)
		proj.allow(c.Server, r.Namespace, plan.ClusterObject{Kind: "Namespace", Name: r.Namespace})
		// No finalizer: what a cluster gets once outlives its Application.
		apps = append(apps, inWave(waveInfra, g.application(c.Name+"-"+r.Key, project, dir, c.Server, r.Namespace,
			appOptions{crds: hasCRDs(r.ClusterScoped)})))
	}

	// The objects the cluster's releases share, in a folder of their own.
	if len(c.Objects) > 0 {
		shared := path.Join(infra, "apk-shared")
		g.write(shared+"/kustomization.yaml", kustomization("", g.writeObjects(shared, c.Objects...), nil))
		for _, o := range c.Objects {
			proj.allow(c.Server, crdNamespace, clusterObject(o))
		}
		apps = append(apps, inWave(waveInfra, g.application(c.Name+"-apk-shared", project, shared, c.Server, crdNamespace,
			appOptions{})))
	}

	// The CRD bundle: kustomize fetches the file and drops what it must not apply.
	crds := path.Join(infra, "apk-crds")
	g.write(crds+"/kustomization.yaml", kustomization("", []string{c.CRDs.URL}, model.PatchObjects(c.CRDs.Patches)))
	// Never pruned, never deleted with the Application: deleting a CRD
	// deletes every object of its kind.
	apps = append(apps, inWave(waveInfra, g.application(c.Name+"-apk-crds", project, crds, c.Server, crdNamespace,
		appOptions{crds: true, keep: true})))

	return g.writeObjects(root, append([]plan.Object{inWave(waveProjects, proj.object())}, apps...)...)
}

// argoEnv writes the environment's folders and, into dir, its AppProject
// and Applications.
func (g *gen) argoEnv(c *plan.Cluster, e *plan.Environment, dir string) {
	envDir, resources := g.envObjects(e)
	g.write(envDir+"/kustomization.yaml", kustomization(e.Namespace, resources, nil))

	project := e.Name + "-environment"
	proj := newProject(project, fmt.Sprintf("apkgen: environment %s (%s) in namespace %s of cluster %s",
		e.Name, e.Pattern, e.Namespace, c.Name), g.p.GitOps.RepoURL)
	proj.allow(c.Server, e.Namespace, plan.ClusterObject{Kind: "Namespace", Name: e.Namespace})
	apps := []plan.Object{inWave(waveEnv, g.application(e.Name+"-namespace", project, envDir, c.Server, e.Namespace,
		appOptions{cascade: true}))}
	waves := releaseWaves(e.Releases)
	for _, r := range e.Releases {
		rdir := path.Join(envDir, r.Key)
		g.helmFolder(rdir, r)
		proj.allowRelease(c.Server, r)
		apps = append(apps, inWave(waves[r.Key], g.application(e.Name+"-"+r.Key, project, rdir, c.Server, r.Namespace,
			appOptions{cascade: true, crds: hasCRDs(r.ClusterScoped)})))
	}
	files := g.writeObjects(dir, append([]plan.Object{inWave(waveProjects, proj.object())}, apps...)...)
	g.write(dir+"/kustomization.yaml", kustomization("", files, nil))
}

// argoBootstrap writes the one file applied by hand: the root Application,
// which syncs root, and the AppProject that lets it manage Argo CD objects
// and nothing else.
func (g *gen) argoBootstrap(c *plan.Cluster, root string) {
	name := c.Name + "-apkgen"
	proj := newProject(name, fmt.Sprintf("apkgen: the Applications and AppProjects of cluster %s", c.Name), g.p.GitOps.RepoURL)
	proj.allow(plan.InCluster, ArgoNamespace)
	obj := proj.object()
	obj["spec"].(map[string]any)["namespaceResourceWhitelist"] = []any{
		map[string]any{"group": "argoproj.io", "kind": "AppProject"},
		map[string]any{"group": "argoproj.io", "kind": "Application"},
	}
	g.write(root+"/bootstrap.yaml", obj, g.application(name, name, root, plan.InCluster, ArgoNamespace, appOptions{}))
}

// helmFolder writes the kustomization that renders a release as Flux's
// helm-controller would: the chart at its version with the release's name,
// namespace and values, without its crds/ folder unless the release takes
// CRDs, and the release's post-render patches applied to the output.
func (g *gen) helmFolder(dir string, r *plan.Release, resources ...string) {
	k := kustomization("", resources, model.PatchObjects(r.PostRender))
	k["helmCharts"] = []any{map[string]any{
		"name":        r.Chart.Name,
		"version":     r.Chart.Version,
		"repo":        r.Chart.Repository,
		"releaseName": r.ReleaseName,
		"namespace":   r.Namespace,
		"includeCRDs": !r.SkipsCRDs(),
		// helm-controller does not run chart tests.
		"skipTests": true,
		// Hand helm the values as they are (helm -f, as helm-controller
		// does). kustomize's default, override, first merges them into the
		// chart's values.yaml itself, where a null removes the chart's
		// default only for helm to bring it back.
		"valuesMerge":  "replace",
		"valuesInline": r.Values,
	}}
	g.write(dir+"/kustomization.yaml", k)
}

// releaseWaves gives each release the sync wave after those it depends on.
func releaseWaves(rs []*plan.Release) map[string]int {
	deps := map[string][]string{}
	for _, r := range rs {
		deps[r.Key] = r.DependsOn
	}
	waves := map[string]int{}
	var wave func(key string, depth int) int
	wave = func(key string, depth int) int {
		if w, ok := waves[key]; ok {
			return w
		}
		w := waveReleases
		if depth <= len(rs) { // a cycle stops here; the schema has none
			for _, d := range deps[key] {
				w = max(w, wave(d, depth+1)+1)
			}
		}
		waves[key] = w
		return w
	}
	for _, r := range rs {
		wave(r.Key, 0)
	}
	return waves
}

func hasCRDs(objs []plan.ClusterObject) bool {
	return slices.ContainsFunc(objs, func(o plan.ClusterObject) bool { return o.Kind == "CustomResourceDefinition" })
}

// appOptions are how an Application syncs.
type appOptions struct {
	cascade bool // deleting the Application deletes what it deployed
	crds    bool // applies CRDs: server-side, as big ones overflow the last-applied annotation
	// keep: never prune or delete what it deployed; otherwise what is no
	// longer in Git is deleted.
	keep bool
}

// inWave puts an object of the root Application's sync into a sync wave.
func inWave(wave int, o plan.Object) plan.Object {
	o["metadata"].(map[string]any)["annotations"] = map[string]any{"argocd.argoproj.io/sync-wave": strconv.Itoa(wave)}
	return o
}

// application is an Argo CD Application syncing a folder of the tree.
func (g *gen) application(name, project, dir, server, namespace string, o appOptions) plan.Object {
	meta := map[string]any{"name": name, "namespace": ArgoNamespace}
	if o.cascade {
		meta["finalizers"] = []any{cascadeFinalizer}
	}
	// Refuse to take over what another Application deploys.
	opts := []any{"FailOnSharedResource=true"}
	if o.crds {
		opts = append(opts, "ServerSideApply=true")
	}
	if o.keep {
		opts = append(opts, "Prune=false", "Delete=false")
	}
	return plan.Object{
		"apiVersion": argoAPI, "kind": "Application",
		"metadata": meta,
		"spec": map[string]any{
			"project": project,
			"source": map[string]any{
				"repoURL":        g.p.GitOps.RepoURL,
				"targetRevision": g.p.GitOps.Revision,
				"path":           path.Join(g.p.GitOps.Path, dir),
			},
			"destination": map[string]any{"server": server, "namespace": namespace},
			"syncPolicy": map[string]any{
				"automated":   map[string]any{"prune": !o.keep, "selfHeal": true},
				"syncOptions": opts,
				"retry": map[string]any{
					"limit":   5,
					"backoff": map[string]any{"duration": "30s", "factor": 2, "maxDuration": "5m"},
				},
			},
		},
	}
}

// project builds an AppProject: where its Applications may deploy and which
// cluster-scoped objects they may own.
type project struct {
	name, description, repo string
	dests                   []destination
	cluster                 []plan.ClusterObject
}

// destination is a namespace of a cluster an AppProject deploys to.
type destination struct{ server, namespace string }

func newProject(name, description, repo string) *project {
	return &project{name: name, description: description, repo: repo}
}

// allow permits the namespace of server as a destination, and objs.
func (p *project) allow(server, namespace string, objs ...plan.ClusterObject) {
	if d := (destination{server, namespace}); !slices.Contains(p.dests, d) {
		p.dests = append(p.dests, d)
	}
	for _, o := range objs {
		if !slices.Contains(p.cluster, o) {
			p.cluster = append(p.cluster, o)
		}
	}
}

// clusterObject names a cluster-scoped object for an AppProject.
func clusterObject(o plan.Object) plan.ClusterObject {
	apiVersion, _ := o["apiVersion"].(string)
	kind, name := kindName(o)
	return plan.ClusterObject{Group: model.Group(apiVersion), Kind: kind, Name: name}
}

// allowRelease permits what a release deploys.
func (p *project) allowRelease(server string, r *plan.Release) {
	p.allow(server, r.Namespace, r.ClusterScoped...)
	for _, ns := range r.OtherNamespaces {
		p.allow(server, ns)
	}
}

func (p *project) object() plan.Object {
	dests := make([]any, len(p.dests))
	for i, d := range p.dests {
		dests[i] = map[string]any{"server": d.server, "namespace": d.namespace}
	}
	spec := map[string]any{
		"description":  p.description,
		"sourceRepos":  []string{p.repo},
		"destinations": dests,
	}
	if len(p.cluster) > 0 {
		objs := slices.Clone(p.cluster)
		slices.SortFunc(objs, func(a, b plan.ClusterObject) int {
			return strings.Compare(a.Group+"/"+a.Kind+"/"+a.Name, b.Group+"/"+b.Kind+"/"+b.Name)
		})
		list := make([]any, len(objs))
		for i, o := range objs {
			list[i] = map[string]any{"group": o.Group, "kind": o.Kind, "name": o.Name}
		}
		spec["clusterResourceWhitelist"] = list
	}
	return plan.Object{
		"apiVersion": argoAPI, "kind": "AppProject",
		"metadata": map[string]any{
			"name": p.name, "namespace": ArgoNamespace,
			// An AppProject stays until no Application uses it.
			"finalizers": []any{cascadeFinalizer},
		},
		"spec": spec,
	}
}

// RelistArgoEnvs makes each Argo CD root kustomization of t
// (argocd/<cluster>/kustomization.yaml) list exactly the environment
// folders t holds under argocd/<cluster>/, in sorted order, after the
// cluster's own resources. A --env build needs it: its tree keeps the
// other environments' files as they are on disk, and the root must keep
// deploying an environment removed from the file but not rebuilt (as
// Flux's apps-<env>.yaml stays), and must not list one added to the file
// but not yet built.
func RelistArgoEnvs(t tree.Tree) error {
	roots, envs := argoRoots(t)
	for cluster, root := range roots {
		if err := relistRoot(t, root, slices.Sorted(maps.Keys(envs[cluster]))); err != nil {
			return err
		}
	}
	return nil
}

// RootError is a root kustomization that RelistArgoEnvs cannot read: in
// a --env build, one kept as it is on disk may have been edited.
type RootError struct {
	Path string
	Err  error
}

func (e *RootError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *RootError) Unwrap() error { return e.Err }

// argoRoots reads t's paths once for each cluster's root kustomization
// (argocd/<cluster>/kustomization.yaml) and the environment folders beside
// it. The environments are sets: the pass stays linear however many
// environments a cluster has.
func argoRoots(t tree.Tree) (roots map[string]string, envs map[string]map[string]bool) {
	roots, envs = map[string]string{}, map[string]map[string]bool{}
	for p := range t {
		if !strings.HasPrefix(p, "argocd/") {
			continue
		}
		cluster := ClusterOf(p)
		switch env := EnvOf(p); {
		case env != "":
			if envs[cluster] == nil {
				envs[cluster] = map[string]bool{}
			}
			envs[cluster][env] = true
		case cluster != "" && p == path.Join("argocd", cluster, "kustomization.yaml"):
			roots[cluster] = p
		}
	}
	return roots, envs
}

// relistRoot rewrites the root kustomization at p to list the cluster's
// own resources, then envs.
func relistRoot(t tree.Tree, p string, envs []string) error {
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(t[p], &k); err != nil {
		return &RootError{Path: p, Err: err}
	}
	// The cluster's own resources are its files; the folders are
	// environments.
	resources := slices.DeleteFunc(k.Resources, func(r string) bool { return !strings.HasSuffix(r, ".yaml") })
	out, err := manifest.Encode(kustomization("", append(resources, envs...), nil))
	if err != nil {
		return fmt.Errorf("%s: %w", p, err)
	}
	t[p] = out
	return nil
}
