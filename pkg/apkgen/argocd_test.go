package apkgen_test

// The Argo CD output, checked on the generated tree: every Argo CD object
// against Argo CD's own (strict) schemas, the same releases and values as
// the Flux output of the same environments, and the guarantees the
// AppProjects, sync waves and sync options give.

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	yaml3 "gopkg.in/yaml.v3"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/internal/kubeschema"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/generate"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/tree"
	"github.com/apkgen/apkgen/pkg/verify"
)

const (
	fluxExample = "../../examples/mixed.yaml"
	argoExample = "../../examples/mixed-argocd.yaml"
)

// argoObject is an Argo CD object of the tree and the file it is in.
type argoObject struct {
	file string
	obj
}

// yamlDocs decodes the YAML documents of a file.
func yamlDocs(t *testing.T, file string, data []byte) []obj {
	t.Helper()
	var out []obj
	dec := yaml3.NewDecoder(bytes.NewReader(data))
	for {
		var o obj
		err := dec.Decode(&o)
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatalf("%s: %v", file, err)
		}
		if o != nil {
			out = append(out, o)
		}
	}
}

// argoObjects returns every argoproj.io object of a tree, in path order.
func argoObjects(t *testing.T, tr tree.Tree) []argoObject {
	t.Helper()
	var out []argoObject
	for _, p := range tr.Paths() {
		if !strings.HasSuffix(p, ".yaml") {
			continue
		}
		for _, o := range yamlDocs(t, p, tr[p]) {
			if strings.HasPrefix(str(o, "apiVersion"), "argoproj.io/") {
				out = append(out, argoObject{p, o})
			}
		}
	}
	return out
}

// byKindName indexes Argo CD objects as Kind/name, failing on duplicates:
// Argo CD keeps them all in one namespace.
func byKindName(t *testing.T, objs []argoObject) map[string]argoObject {
	t.Helper()
	out := map[string]argoObject{}
	for _, o := range objs {
		key := str(o.obj, "kind") + "/" + str(o.obj, "metadata.name")
		if prev, ok := out[key]; ok {
			t.Errorf("%s in both %s and %s", key, prev.file, o.file)
		}
		out[key] = o
	}
	return out
}

// TestArgoCDSchemas: an Argo CD tree holds no Flux object, and the strict
// Argo CD schemas golden's TestSchemas validates every Argo CD object with
// (bootstrap.yaml included) do reject a misspelt field.
func TestArgoCDSchemas(t *testing.T) {
	schemas, err := kubeschema.Load("../../testdata/schemas")
	if err != nil {
		t.Fatal(err)
	}
	examples, _ := filepath.Glob("../../examples/*-argocd.yaml")
	if len(examples) == 0 {
		t.Fatal("no examples/*-argocd.yaml")
	}
	for _, ex := range examples {
		c := compileFile(t, ex)
		for _, p := range c.Tree.Paths() {
			if bytes.Contains(c.Tree[p], []byte("toolkit.fluxcd.io/")) {
				t.Errorf("%s: %s holds a Flux object", ex, p)
			}
		}
	}
	// The schemas are strict: a misspelt field fails.
	bad := obj{"apiVersion": "argoproj.io/v1alpha1", "kind": "Application",
		"metadata": obj{"name": "x"},
		"spec": obj{"project": "p", "destination": obj{"server": "s"},
			"source": obj{"repoURL": "r"}, "syncPolicy": obj{"syncOption": []any{"x"}}}}
	// Validate also fails for a kind it has no schema for: the error must
	// be the misspelt field's.
	if err := schemas.Validate(bad); err == nil || errors.Is(err, kubeschema.ErrNoSchema) || !strings.Contains(err.Error(), "syncOption") {
		t.Errorf("an Application with spec.syncPolicy.syncOption: %v; want the schema to refuse the field", err)
	}
}

// kustomizationAt reads dir/kustomization.yaml of a tree.
func kustomizationAt(t *testing.T, tr tree.Tree, dir string) obj {
	t.Helper()
	file := path.Join(dir, "kustomization.yaml")
	data, ok := tr[file]
	if !ok {
		t.Fatalf("no %s", file)
	}
	return yamlDocs(t, file, data)[0]
}

// jsonEq compares two values as JSON, whatever number types decoding gave.
func jsonEq(t *testing.T, what string, got, want any) {
	t.Helper()
	g, err1 := json.Marshal(got)
	w, err2 := json.Marshal(want)
	if err1 != nil || err2 != nil {
		t.Fatalf("%s: %v %v", what, err1, err2)
	}
	if !bytes.Equal(g, w) {
		t.Errorf("%s:\n got %s\nwant %s", what, g, w)
	}
}

// TestArgoCDDeploysFluxReleases compiles the same environments for Flux
// and for Argo CD: each Argo CD release folder inflates the same chart
// version from the same repository, with the same release name, namespace,
// values, CRD policy and post-render patches as the Flux HelmRelease.
func TestArgoCDDeploysFluxReleases(t *testing.T) {
	flux := compileFile(t, fluxExample)
	argo := compileFile(t, argoExample)
	apps := byKindName(t, argoObjects(t, argo.Tree))
	g := argo.Plan.GitOps

	compare := func(what, fluxDir, argoDir string, key string, server string) {
		t.Helper()
		hr := flux.find(t, fluxDir, "HelmRelease", key)
		repo := flux.find(t, fluxDir, "HelmRepository", str(hr, "spec.chart.spec.sourceRef.name"))
		k := kustomizationAt(t, argo.Tree, argoDir)
		charts, _ := k["helmCharts"].([]any)
		if len(charts) != 1 {
			t.Fatalf("%s: helmCharts %v", argoDir, charts)
		}
		hc := charts[0]
		eq(t, what+" chart", get(hc, "name"), str(hr, "spec.chart.spec.chart"))
		eq(t, what+" version", get(hc, "version"), str(hr, "spec.chart.spec.version"))
		eq(t, what+" repo", get(hc, "repo"), str(repo, "spec.url"))
		eq(t, what+" releaseName", get(hc, "releaseName"), str(hr, "spec.releaseName"))
		eq(t, what+" namespace", get(hc, "namespace"), str(hr, "metadata.namespace"))
		jsonEq(t, what+" values", get(hc, "valuesInline"), get(hr, "spec.values"))
		eq(t, what+" valuesMerge", get(hc, "valuesMerge"), "replace")
		eq(t, what+" skipTests", get(hc, "skipTests"), true)
		eq(t, what+" upgrade.crds", str(hr, "spec.upgrade.crds"), str(hr, "spec.install.crds"))
		eq(t, what+" includeCRDs", get(hc, "includeCRDs"), str(hr, "spec.install.crds") != "Skip")
		jsonEq(t, what+" post-render patches", k["patches"], postRenderPatches(hr))

		// The Application that deploys the folder.
		var app *argoObject
		for _, o := range apps {
			if str(o.obj, "kind") == "Application" && str(o.obj, "spec.source.path") == path.Join(g.Path, argoDir) {
				if app != nil {
					t.Errorf("%s: deployed by %s and %s", argoDir, str(app.obj, "metadata.name"), str(o.obj, "metadata.name"))
				}
				app = &o
			}
		}
		if app == nil {
			t.Fatalf("%s: no Application deploys it", argoDir)
		}
		eq(t, what+" Application repoURL", str(app.obj, "spec.source.repoURL"), g.RepoURL)
		eq(t, what+" Application revision", str(app.obj, "spec.source.targetRevision"), g.Revision)
		eq(t, what+" Application server", str(app.obj, "spec.destination.server"), server)
		eq(t, what+" Application namespace", str(app.obj, "spec.destination.namespace"), str(hr, "metadata.namespace"))
	}

	if len(flux.Plan.Environments) != len(argo.Plan.Environments) {
		t.Fatalf("the examples differ: %d and %d environments", len(flux.Plan.Environments), len(argo.Plan.Environments))
	}
	var releases int
	for i, fe := range flux.Plan.Environments {
		ae := argo.Plan.Environments[i]
		if fe.Name != ae.Name || fe.Namespace != ae.Namespace || fe.Cluster != ae.Cluster || len(fe.Releases) != len(ae.Releases) {
			t.Fatalf("the examples differ in environment %s/%s", fe.Name, ae.Name)
		}
		for _, r := range fe.Releases {
			compare(fe.Name+"/"+r.Key, "apps/"+fe.Name, path.Join("apps", fe.Name, r.Key), r.Key, clusterOf(t, argo.Plan, ae.Cluster).Server)
			releases++
		}
	}
	for _, fc := range flux.Plan.Clusters {
		for _, r := range fc.Releases {
			compare(fc.Name+"/"+r.Key, "infrastructure/"+fc.Name, path.Join("infrastructure", fc.Name, r.Key), r.Key, clusterOf(t, argo.Plan, fc.Name).Server)
			releases++
		}
	}
	if releases < 8 {
		t.Errorf("compared %d releases; the examples have more", releases)
	}
}

func asList(v any) []any { l, _ := v.([]any); return l }

// named returns the item called name.
func named[T any](t *testing.T, items []T, name string, nameOf func(T) string) T {
	t.Helper()
	for _, it := range items {
		if nameOf(it) == name {
			return it
		}
	}
	t.Fatalf("no %T named %s", *new(T), name)
	return *new(T)
}

func clusterOf(t *testing.T, p *plan.Plan, name string) *plan.Cluster {
	t.Helper()
	return named(t, p.Clusters, name, func(c *plan.Cluster) string { return c.Name })
}

func syncOptions(app obj) []string {
	var out []string
	for _, o := range asList(get(app, "spec.syncPolicy.syncOptions")) {
		out = append(out, fmt.Sprint(o))
	}
	return out
}

// wave is an object's sync wave, "" when it has none.
func wave(o obj) string {
	a, _ := get(o, "metadata.annotations").(map[string]any)
	w, _ := a["argocd.argoproj.io/sync-wave"].(string)
	return w
}

// waveNum is a sync wave as Argo CD orders them.
func waveNum(t *testing.T, o obj) int {
	t.Helper()
	n, err := strconv.Atoi(wave(o))
	if err != nil {
		t.Fatalf("%v %v: sync wave %q", o["kind"], get(o, "metadata.name"), wave(o))
	}
	return n
}

// TestArgoCDProjects: an environment's Applications deploy only into its
// namespace, through its own AppProject; no two AppProjects of a cluster
// permit the same cluster-scoped object; the root Application reaches
// every Application and orders them.
func TestArgoCDProjects(t *testing.T) {
	b := compileFile(t, argoExample)
	objs := byKindName(t, argoObjects(t, b.Tree))
	g := b.Plan.GitOps
	for _, c := range b.Plan.Clusters {
		root := "argocd/" + c.Name
		// The bootstrap file: the root Application and a project that lets
		// it manage Argo CD objects in Argo CD's namespace, nothing else.
		boot := yamlDocs(t, root+"/bootstrap.yaml", b.Tree[root+"/bootstrap.yaml"])
		if len(boot) != 2 {
			t.Fatalf("%s/bootstrap.yaml: %d objects", root, len(boot))
		}
		proj, app := boot[0], boot[1]
		eq(t, c.Name+" root project", str(app, "spec.project"), str(proj, "metadata.name"))
		eq(t, c.Name+" root path", str(app, "spec.source.path"), path.Join(g.Path, root))
		jsonEq(t, c.Name+" root destination", get(app, "spec.destination"), obj{"server": plan.InCluster, "namespace": "argocd"})
		jsonEq(t, c.Name+" root project destinations", get(proj, "spec.destinations"), []any{obj{"server": plan.InCluster, "namespace": "argocd"}})
		if get(proj, "spec.clusterResourceWhitelist") != nil {
			t.Errorf("%s: the bootstrap project permits cluster-scoped objects", c.Name)
		}
		jsonEq(t, c.Name+" root project kinds", get(proj, "spec.namespaceResourceWhitelist"),
			[]any{obj{"group": "argoproj.io", "kind": "AppProject"}, obj{"group": "argoproj.io", "kind": "Application"}})

		// The root's build holds every other Argo CD object of the cluster.
		var managed []string
		for _, o := range b.dirs[root] {
			managed = append(managed, fmt.Sprintf("%v/%v", o["kind"], get(o, "metadata.name")))
			if wave(o) == "" {
				t.Errorf("%s: %v %v has no sync wave", root, o["kind"], get(o, "metadata.name"))
			}
		}
		for key, o := range objs {
			inCluster := strings.HasPrefix(o.file, root+"/") && o.file != root+"/bootstrap.yaml"
			if inCluster != slices.Contains(managed, key) {
				t.Errorf("%s (%s): managed by the root of %s: %v", key, o.file, c.Name, slices.Contains(managed, key))
			}
		}

		// Waves: projects, then infrastructure, then each environment's
		// namespace, then releases after those they depend on.
		infra := objs["AppProject/"+c.Name+"-infrastructure"]
		eq(t, c.Name+" infrastructure project wave", wave(infra.obj), "-3")
		crds := objs["Application/"+c.Name+"-apk-crds"]
		eq(t, c.Name+" CRD wave", wave(crds.obj), "-2")
		// CRDs: applied server-side, never pruned or deleted with the Application.
		eq(t, c.Name+" CRD sync options", syncOptions(crds.obj), []string{"FailOnSharedResource=true", "ServerSideApply=true", "Prune=false", "Delete=false"})
		eq(t, c.Name+" CRD automated prune", get(crds.obj, "spec.syncPolicy.automated.prune"), false)
		eq(t, c.Name+" CRD finalizers", get(crds.obj, "metadata.finalizers"), nil)
		if cm, ok := objs["Application/"+c.Name+"-cert-manager"]; ok {
			eq(t, c.Name+" cert-manager wave", wave(cm.obj), "-2")
			if !slices.Contains(syncOptions(cm.obj), "ServerSideApply=true") {
				t.Errorf("%s: cert-manager's CRDs are not applied server-side", c.Name)
			}
		}

		for _, name := range c.Environments {
			e := envOf(t, b.Plan, name)
			proj := objs["AppProject/"+name+"-environment"]
			eq(t, name+" project wave", wave(proj.obj), "-3")
			jsonEq(t, name+" project destinations", get(proj.obj, "spec.destinations"),
				[]any{obj{"server": c.Server, "namespace": e.Namespace}})
			eq(t, name+" namespace wave", wave(objs["Application/"+name+"-namespace"].obj), "-1")
			waves := map[string]int{}
			var count int
			for _, o := range objs {
				if str(o.obj, "kind") != "Application" || str(o.obj, "spec.project") != name+"-environment" {
					continue
				}
				count++
				waves[strings.TrimPrefix(str(o.obj, "metadata.name"), name+"-")] = waveNum(t, o.obj)
				eq(t, str(o.obj, "metadata.name")+" file", o.file, path.Join(root, name, objectFileOf(o.obj)))
				if !slices.Contains(syncOptions(o.obj), "FailOnSharedResource=true") {
					t.Errorf("%s: may take over another Application's objects", str(o.obj, "metadata.name"))
				}
				eq(t, str(o.obj, "metadata.name")+" finalizers", get(o.obj, "metadata.finalizers"), []any{"resources-finalizer.argocd.argoproj.io"})
			}
			eq(t, name+" Applications", count, len(e.Releases)+1)
			for _, r := range e.Releases {
				for _, d := range r.DependsOn {
					if waves[r.Key] <= waves[d] {
						t.Errorf("%s: %s (wave %d) does not come after %s (wave %d)", name, r.Key, waves[r.Key], d, waves[d])
					}
				}
				if waves[r.Key] <= waves["namespace"] {
					t.Errorf("%s: release %s in wave %d, not after the namespace's %d", name, r.Key, waves[r.Key], waves["namespace"])
				}
			}
		}
	}

	// No Application deploys into another environment's namespace, and no
	// two AppProjects of a cluster permit the same cluster-scoped object.
	type perm struct{ project, group, kind, name string }
	perms := map[string][]perm{} // by server
	for _, o := range objs {
		switch str(o.obj, "kind") {
		case "Application":
			for _, e := range b.Plan.Environments {
				server := clusterOf(t, b.Plan, e.Cluster).Server
				if str(o.obj, "spec.destination.server") == server && str(o.obj, "spec.destination.namespace") == e.Namespace &&
					str(o.obj, "spec.project") != e.Name+"-environment" {
					t.Errorf("Application %s (project %s) deploys into namespace %s of environment %s",
						str(o.obj, "metadata.name"), str(o.obj, "spec.project"), e.Namespace, e.Name)
				}
			}
		case "AppProject":
			for _, d := range asList(get(o.obj, "spec.destinations")) {
				for _, w := range asList(get(o.obj, "spec.clusterResourceWhitelist")) {
					perms[str(d, "server")] = append(perms[str(d, "server")],
						perm{str(o.obj, "metadata.name"), str(w, "group"), str(w, "kind"), str(w, "name")})
				}
			}
		}
	}
	for server, ps := range perms {
		for i, p := range ps {
			if p.name == "" || p.name == "*" {
				t.Errorf("%s: project %s permits every %s", server, p.project, p.kind)
			}
			for _, q := range ps[i+1:] {
				if p.project != q.project && p.group == q.group && p.kind == q.kind && load.GlobsOverlap(p.name, q.name) {
					t.Errorf("%s: %s %q of project %s and %q of project %s can be the same object", server, p.kind, p.name, p.project, q.name, q.project)
				}
			}
		}
	}
}

func envOf(t *testing.T, p *plan.Plan, name string) *plan.Environment {
	t.Helper()
	return named(t, p.Environments, name, func(e *plan.Environment) string { return e.Name })
}

func objectFileOf(o obj) string {
	return strings.ToLower(str(o, "kind")) + "-" + str(o, "metadata.name") + ".yaml"
}

// TestArgoCDNamesUnique: Applications and AppProjects share Argo CD's
// namespace, so their names must differ whatever the environments and
// clusters are called.
func TestArgoCDNamesUnique(t *testing.T) {
	b := compile(t, `apiVersion: apkgen/v1alpha1
kind: Environments
gitops: {engine: argocd, repoURL: https://example.com/gitops.git}
clusters:
  a: {}
  a-apk: {server: https://a-apk.example.com}
  a-cert: {server: https://a-cert.example.com}
  a-cert-manager: {server: https://a-cert-manager.example.com}
environments:
  a:
    pattern: dp-per-namespace
    cluster: a
    namespace: a
    hostnames: {gateway: a.gw.example.com, system: a.apk.example.com}
  a-apk:
    pattern: dp-per-namespace
    cluster: a-apk
    namespace: a-apk
    hostnames: {gateway: b.gw.example.com, system: b.apk.example.com}
  a-cert:
    pattern: dp-per-namespace
    cluster: a-cert
    namespace: a-cert
    hostnames: {gateway: c.gw.example.com, system: c.apk.example.com}
  a-apk-shared:
    pattern: dp-per-namespace
    cluster: a
    namespace: a-apk-shared
    hostnames: {gateway: d.gw.example.com, system: d.apk.example.com}
  a-cert-manager:
    pattern: cp-vm-dp-k8s
    cluster: a-cert-manager
    namespace: a-cert-manager
    hostnames: {gateway: e.gw.example.com, system: e.apk.example.com}
    controlPlane: {host: apim.example.com, credentialsSecret: apim}
`)
	objs := argoObjects(t, b.Tree)
	byKindName(t, objs) // fails on a duplicate
	if len(objs) < 20 {
		t.Errorf("%d Argo CD objects", len(objs))
	}
}

// TestArgoCDCRDBundle: the CRD bundle's folder fetches the bundle and drops
// its cert-manager CRDs, built with the kustomize API against a bundle
// served on 127.0.0.1; what is left is what the infrastructure project
// permits.
func TestArgoCDCRDBundle(t *testing.T) {
	b := compileFile(t, argoExample)
	bundle := crd("certificates.cert-manager.io") + crd("challenges.acme.cert-manager.io") +
		crd("gateways.gateway.networking.k8s.io") + crd("apis.dp.wso2.com") + crd("apiconfigs.cp.wso2.com")
	var fetched []string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		fetched = append(fetched, r.URL.Path)
		io.WriteString(w, bundle)
	}))
	defer srv.Close()
	c := b.Plan.Clusters[0]
	dir := "infrastructure/" + c.Name + "/apk-crds"
	k := kustomizationAt(t, b.Tree, dir)
	url := c.CRDs.URL
	eq(t, "resources", k["resources"], []any{url})
	if !strings.HasPrefix(url, "https://raw.githubusercontent.com/wso2/docs-apk/1.3.0/") {
		t.Errorf("bundle URL %s", url)
	}
	k["resources"] = []any{srv.URL + "/crds.yaml"}
	fs := filesys.MakeFsInMemory()
	kb, _ := yaml.Marshal(k)
	if err := fs.WriteFile("/k/kustomization.yaml", kb); err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/k")
	if err != nil {
		t.Fatal(err)
	}
	eq(t, "fetched", fetched, []string{"/crds.yaml"})
	var got []string
	whitelist := asList(get(byKindName(t, argoObjects(t, b.Tree))["AppProject/"+c.Name+"-infrastructure"].obj, "spec.clusterResourceWhitelist"))
	for _, r := range m.Resources() {
		got = append(got, r.GetName())
		if !permitted(whitelist, "apiextensions.k8s.io", r.GetKind(), r.GetName()) {
			t.Errorf("%s %s is not permitted by the infrastructure project", r.GetKind(), r.GetName())
		}
	}
	slices.Sort(got)
	eq(t, "applied CRDs", got, []string{"apiconfigs.cp.wso2.com", "apis.dp.wso2.com", "gateways.gateway.networking.k8s.io"})
}

// permitted reports whether an AppProject whitelist lets an Application
// create the object, matching names as Argo CD does (filepath.Match).
func permitted(whitelist []any, group, kind, name string) bool {
	for _, w := range whitelist {
		if str(w, "group") != group || str(w, "kind") != kind {
			continue
		}
		if ok, _ := filepath.Match(str(w, "name"), name); ok || str(w, "name") == "" {
			return true
		}
	}
	return false
}

// TestArgoCDBuildOneEnv: build --env rewrites only the selected
// environment's files of the Argo CD layout (and the shared ones).
func TestArgoCDBuildOneEnv(t *testing.T) {
	root := t.TempDir()
	res, err := apkgen.Build(apkgen.BuildOptions{File: argoExample, Root: root})
	if err != nil {
		t.Fatal(err)
	}
	// A stale file is the file with a comment added: it still builds, as
	// the tree --env writes must.
	stale := map[string][]byte{}
	files := map[string]bool{ // path -> rewritten by --env test
		"argocd/nonprod/dev/application-dev-apk.yaml":        false,
		"apps/dev/apk/kustomization.yaml":                    false,
		"argocd/nonprod/test/application-test-apk.yaml":      true,
		"apps/test/apk/kustomization.yaml":                   true,
		"argocd/nonprod/kustomization.yaml":                  true,
		"argocd/nonprod/bootstrap.yaml":                      true,
		"infrastructure/nonprod/apk-crds/kustomization.yaml": true,
	}
	for p := range files {
		stale[p] = append(bytes.Clone(res.Files[p]), "# stale\n"...)
		if err := os.WriteFile(filepath.Join(res.Dir, p), stale[p], 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := apkgen.Build(apkgen.BuildOptions{File: argoExample, Root: root, Envs: []string{"test"}}); err != nil {
		t.Fatal(err)
	}
	for p, rewritten := range files {
		b, err := os.ReadFile(filepath.Join(res.Dir, p))
		if err != nil {
			t.Fatal(err)
		}
		if got := !bytes.Equal(b, stale[p]); got != rewritten {
			t.Errorf("%s: rewritten %v, want %v", p, got, rewritten)
		}
	}
}

// TestOfflineVerify: the folders that need the network build offline
// without their charts and remote resources, and the rest of them is
// still checked: a malformed patch fails.
func TestOfflineVerify(t *testing.T) {
	b := compileFile(t, argoExample)
	for _, dir := range []string{"apps/dev/apk", "infrastructure/nonprod/cert-manager", "infrastructure/nonprod/apk-crds"} {
		if !slices.Contains(verify.Dirs(b.Tree), dir) {
			t.Errorf("%s is not built", dir)
		}
	}
	eq(t, "offline cert-manager folder", names(b.dirs["infrastructure/nonprod/cert-manager"]), []string{"Namespace/cert-manager"})
	bad := tree.Tree{}
	for p, data := range b.Tree {
		bad[p] = data
	}
	bad["apps/dev/apk/kustomization.yaml"] = bytes.Replace(bad["apps/dev/apk/kustomization.yaml"],
		[]byte("$patch: delete"), []byte("$patch: [delete"), 1)
	if _, err := verify.Build(bad); err == nil || !strings.Contains(err.Error(), "apps/dev/apk") {
		t.Errorf("a malformed patch in apps/dev/apk: %v", err)
	}
}

// TestRelistArgoEnvsKeepsAFullTree: on a full build, each cluster's root
// kustomization already lists exactly its environments, so RelistArgoEnvs
// (which a --env build applies) changes no byte; with an environment's
// folder gone, the root no longer lists it.
func TestRelistArgoEnvsKeepsAFullTree(t *testing.T) {
	c, err := apkgen.Compile(argoExample)
	if err != nil {
		t.Fatal(err)
	}
	relisted := maps.Clone(c.Tree)
	if err := generate.RelistArgoEnvs(relisted); err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(c.Tree, relisted, bytes.Equal) {
		t.Error("RelistArgoEnvs changed a full tree")
	}
	maps.DeleteFunc(relisted, func(p string, _ []byte) bool { return generate.EnvOf(p) == "test" })
	if err := generate.RelistArgoEnvs(relisted); err != nil {
		t.Fatal(err)
	}
	root := string(relisted["argocd/nonprod/kustomization.yaml"])
	if !strings.HasSuffix(root, "  - dev\n") {
		t.Errorf("root without test's folder:\n%s", root)
	}
}
