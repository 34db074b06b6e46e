package apkgen_test

// Chart inflation for real: the Argo CD release folders are built the way
// Argo CD's repo-server builds them (kustomize with --enable-helm, the real
// helm binary pulling from a chart repository), and the Flux HelmReleases
// are rendered the way helm-controller renders them (the chart with the
// release's values, then its post-renderers). The charts are small models
// of the real ones, served on 127.0.0.1: each renders its values, a
// crds/ folder, a test hook, and the cluster-scoped objects docs/reference.md §3 lists
// for the real chart, named the way the real chart names them.

import (
	"fmt"
	"maps"
	"os"
	"os/exec"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/internal/charttest"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/write"
)

// modelCharts are the templates of each model chart, by chart name; every
// chart also gets commonTemplates.
var modelCharts = map[string]map[string]string{
	"apk-helm": {
		// Defaults the environments' values override or, with null, remove.
		"values.yaml": `skipCrds: false
idp: {enabled: true}
gatewaySystem: {enableClusterRoleCreation: true}
wso2:
  apk:
    auth: {roleName: wso2apk-role}
    dp:
      gatewayClass: {name: wso2-apk-default}
      configdeployer:
        vhosts:
          - {name: Default, hosts: [gw.wso2.com], type: production}
`,
		"crds/backends.yaml": crdTemplate("backends.dp.wso2.com"),
		"templates/crds.yaml": "{{- if not .Values.skipCrds }}\n" + crdTemplate("apis.dp.wso2.com") + "---\n{{- end }}\n" +
			crdTemplate("apipolicies.dp.wso2.com") + "---\n" + crdTemplate("authentications.dp.wso2.com") + "---\n" +
			crdTemplate("tokenissuers.dp.wso2.com"),
		"templates/cluster.yaml": clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRole", "{{ .Values.wso2.apk.auth.roleName }}") +
			clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "{{ .Release.Name }}-wso2-apk-role-binding") +
			"{{- if .Values.gatewaySystem.enableClusterRoleCreation }}\n" +
			clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRole", "gateway-api-admission") + "{{- end }}\n" +
			clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "{{ .Release.Name }}-wso2-apk-gateway-api-admission") +
			clusterTemplate("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "{{ .Release.Name }}-wso2-apk-gateway-api-admission") +
			clusterTemplate("gateway.networking.k8s.io/v1", "GatewayClass", "{{ .Values.wso2.apk.dp.gatewayClass.name }}"),
	},
	"apim-apk-agent": {
		"values.yaml":      "serviceAccount: {roleName: wso2agent-role}\n",
		"crds/agents.yaml": crdTemplate("agents.dp.wso2.com"),
		"templates/rbac.yaml": clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRole", "{{ .Values.serviceAccount.roleName }}") +
			clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRoleBinding", "agent-cluster-role-binding"),
	},
	"wso2am-all-in-one": {
		// The real chart's default gateway environment is named Default.
		"values.yaml": `wso2:
  apim:
    configurations:
      gateway:
        environments:
          - {name: Default, type: hybrid, gatewayType: Regular}
`,
		"crds/apims.yaml": crdTemplate("apims.cp.wso2.com"),
	},
	"cert-manager": {
		"values.yaml":            "crds: {enabled: false, keep: false}\n",
		"crds/orders.yaml":       crdTemplate("orders.acme.cert-manager.io"),
		"templates/crds.yaml":    "{{- if .Values.crds.enabled }}\n" + crdTemplate("certificates.cert-manager.io") + "{{- end }}\n",
		"templates/cluster.yaml": clusterTemplate("rbac.authorization.k8s.io/v1", "ClusterRole", "{{ .Release.Name }}-controller-issuers") + clusterTemplate("admissionregistration.k8s.io/v1", "ValidatingWebhookConfiguration", "{{ .Release.Name }}-webhook"),
		// Leader election lives in kube-system.
		"templates/leader.yaml": "apiVersion: rbac.authorization.k8s.io/v1\nkind: Role\nmetadata:\n  name: cert-manager:leaderelection\n  namespace: kube-system\n",
	},
}

var commonTemplates = map[string]string{
	"templates/values.yaml": `apiVersion: v1
kind: ConfigMap
metadata:
  name: {{ .Release.Name }}-values
  namespace: {{ .Release.Namespace }}
data:
  values.json: {{ toJson .Values | quote }}
`,
	"templates/deployment.yaml": `apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ .Release.Name }}-app
spec:
  selector: {matchLabels: {app: x}}
  template:
    metadata: {labels: {app: x}}
    spec: {containers: [{name: x, image: x}]}
`,
	"templates/tests/test.yaml": `apiVersion: v1
kind: Pod
metadata:
  name: {{ .Release.Name }}-test
  annotations: {helm.sh/hook: test}
spec: {containers: [{name: x, image: x}]}
`,
}

func crdTemplate(name string) string {
	plural, group, _ := strings.Cut(name, ".")
	return fmt.Sprintf(`apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: %s
spec:
  group: %s
  names: {kind: %s, plural: %s}
  scope: Namespaced
  versions: [{name: v1, served: true, storage: true, schema: {openAPIV3Schema: {type: object}}}]
`, name, group, strings.ToUpper(plural[:1])+plural[1:], plural)
}

func clusterTemplate(apiVersion, kind, name string) string {
	return fmt.Sprintf("---\napiVersion: %s\nkind: %s\nmetadata:\n  name: %s\n", apiVersion, kind, name)
}

// modelChart writes a model chart into a folder of its own and returns it.
func modelChart(t *testing.T, name, version string) string {
	t.Helper()
	model, ok := modelCharts[name]
	if !ok {
		t.Fatalf("no model of chart %s", name)
	}
	dir := filepath.Join(t.TempDir(), name)
	files := map[string]string{"Chart.yaml": fmt.Sprintf("apiVersion: v2\nname: %s\nversion: %s\n", name, version)}
	maps.Copy(files, commonTemplates)
	maps.Copy(files, model)
	for f, body := range files {
		p := filepath.Join(dir, filepath.FromSlash(f))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// chartRepo serves the model charts of the given releases as a Helm
// repository on 127.0.0.1 (packed and indexed by Helm) and returns its URL
// and the folder of the archives, <name>-<version>.tgz.
func chartRepo(t *testing.T, releases []*plan.Release) (url, archives string) {
	t.Helper()
	var dirs []string
	seen := map[plan.Chart]bool{}
	for _, r := range releases {
		c := plan.Chart{Name: r.Chart.Name, Version: r.Chart.Version}
		if !seen[c] {
			seen[c] = true
			dirs = append(dirs, modelChart(t, c.Name, c.Version))
		}
	}
	return charttest.HTTPRepo(t, dirs...)
}

// rendered is a rendering's objects by kind/namespace/name.
type rendered map[string]obj

func toRendered(t *testing.T, m resmap.ResMap) rendered {
	t.Helper()
	out := rendered{}
	for _, r := range m.Resources() {
		o, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		// kustomize marks what helm generated; the API server never sees it.
		if a, ok := get(o, "metadata.annotations").(map[string]any); ok {
			for k := range a {
				if strings.HasPrefix(k, "internal.config.kubernetes.io/") || strings.HasPrefix(k, "config.kubernetes.io/") {
					delete(a, k)
				}
			}
			if len(a) == 0 {
				delete(o["metadata"].(map[string]any), "annotations")
			}
		}
		out[fmt.Sprintf("%s/%s/%s", r.GetKind(), r.GetNamespace(), r.GetName())] = o
	}
	return out
}

func (r rendered) keys() []string {
	var out []string
	for k := range r {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// argoRender builds a release folder of an Argo CD tree written at root
// as Argo CD does, its chart repository replaced by repo.
func argoRender(t *testing.T, helm, root, dir, repo string) rendered {
	t.Helper()
	file := filepath.Join(root, dir, "kustomization.yaml")
	data, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	var k obj
	if err := yaml.Unmarshal(data, &k); err != nil {
		t.Fatal(err)
	}
	for _, c := range asList(k["helmCharts"]) {
		c.(map[string]any)["repo"] = repo
	}
	if data, err = yaml.Marshal(k); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	opts := krusty.MakeDefaultOptions()
	opts.PluginConfig.HelmConfig.Enabled = true
	opts.PluginConfig.HelmConfig.Command = helm
	m, err := krusty.MakeKustomizer(opts).Run(filesys.MakeFsOnDisk(), filepath.Join(root, dir))
	if err != nil {
		t.Fatalf("kustomize build --enable-helm %s: %v", dir, err)
	}
	return toRendered(t, m)
}

// fluxRender renders a HelmRelease as helm-controller does: the chart at
// its version with the release's name, namespace and values (its crds/
// folder unless install.crds is Skip, no tests), then its post-renderers.
func fluxRender(t *testing.T, helm, archives string, hr obj) rendered {
	t.Helper()
	dir := t.TempDir()
	chart := filepath.Join(archives, str(hr, "spec.chart.spec.chart")+"-"+str(hr, "spec.chart.spec.version")+".tgz")
	values, err := yaml.Marshal(get(hr, "spec.values"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "values.yaml"), values, 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"template", str(hr, "spec.releaseName"), chart, "--namespace", str(hr, "metadata.namespace"),
		"-f", filepath.Join(dir, "values.yaml"), "--skip-tests"}
	if str(hr, "spec.install.crds") != "Skip" {
		args = append(args, "--include-crds")
	}
	cmd := exec.Command(helm, args...)
	cmd.Env = append(os.Environ(), "HELM_CONFIG_HOME="+dir, "HELM_CACHE_HOME="+dir, "HELM_DATA_HOME="+dir)
	out, err := cmd.Output()
	if err != nil {
		t.Fatalf("helm %s: %v", strings.Join(args, " "), err)
	}
	return toRendered(t, kustomizeStream(t, out, postRenderPatches(hr)))
}

// TestArgoCDHelmInflation renders every release of the Argo CD example as
// Argo CD does and the same release of the Flux example as Flux does: the
// objects, and the values the chart sees, are the same. It also shows what
// the Argo CD settings guarantee on a real rendering: no release of an
// environment brings a CRD, each cluster-scoped object is one its
// AppProject permits, in a namespace its AppProject permits, and no two
// releases of a cluster render the same cluster-scoped object.
func TestArgoCDHelmInflation(t *testing.T) {
	helm, err := exec.LookPath("helm")
	if err != nil {
		t.Skip("helm is not on PATH; install it with: go install helm.sh/helm/v3/cmd/helm@v3.22.0")
	}
	flux := compileFile(t, fluxExample)
	argo := compileFile(t, argoExample)
	root := t.TempDir()
	if _, err := write.Tree(root, argo.Tree); err != nil {
		t.Fatal(err)
	}
	var all []*plan.Release
	for _, e := range argo.Plan.Environments {
		all = append(all, e.Releases...)
	}
	for _, c := range argo.Plan.Clusters {
		all = append(all, c.Releases...)
	}
	repo, archives := chartRepo(t, all)
	projects := byKindName(t, argoObjects(t, argo.Tree))

	type release struct {
		what, fluxDir, argoDir, key, project, cluster string
		env                                           bool
	}
	var releases []release
	for _, e := range argo.Plan.Environments {
		for _, r := range e.Releases {
			releases = append(releases, release{e.Name + "/" + r.Key, "apps/" + e.Name, path.Join("apps", e.Name, r.Key), r.Key, e.Name + "-environment", e.Cluster, true})
		}
	}
	for _, c := range argo.Plan.Clusters {
		for _, r := range c.Releases {
			releases = append(releases, release{c.Name + "/" + r.Key, "infrastructure/" + c.Name, path.Join("infrastructure", c.Name, r.Key), r.Key, c.Name + "-infrastructure", c.Name, false})
		}
	}
	owner := map[string]string{} // cluster/kind/name -> release
	for _, r := range releases {
		got := argoRender(t, helm, root, r.argoDir, repo)
		hr := flux.find(t, r.fluxDir, "HelmRelease", r.key)
		want := fluxRender(t, helm, archives, hr)
		if !r.env { // Flux creates a cluster release's namespace beside it
			ns := str(hr, "metadata.namespace")
			want["Namespace//"+ns] = flux.find(t, r.fluxDir, "Namespace", ns)
		}
		eq(t, r.what+" objects", got.keys(), want.keys())
		for k, o := range want {
			jsonEq(t, r.what+" "+k, got[k], o)
		}
		var values []string
		for k := range got {
			if strings.HasPrefix(k, "ConfigMap/") {
				values = append(values, k)
			}
		}
		if len(values) != 1 {
			t.Errorf("%s: values ConfigMaps %v", r.what, values)
		}

		proj := projects["AppProject/"+r.project].obj
		whitelist := asList(get(proj, "spec.clusterResourceWhitelist"))
		var dests []string
		for _, d := range asList(get(proj, "spec.destinations")) {
			dests = append(dests, str(d, "namespace"))
		}
		for k, o := range got {
			kind, _, _ := strings.Cut(k, "/")
			group, _, _ := strings.Cut(str(o, "apiVersion"), "/")
			if !strings.Contains(str(o, "apiVersion"), "/") {
				group = ""
			}
			if r.env && kind == "CustomResourceDefinition" {
				t.Errorf("%s renders CRD %s; CRDs are the cluster's", r.what, str(o, "metadata.name"))
			}
			if ns := str(o, "metadata.namespace"); ns != "" {
				if !slices.Contains(dests, ns) {
					t.Errorf("%s: %s is in namespace %s, not a destination of project %s (%v)", r.what, k, ns, r.project, dests)
				}
				continue
			}
			if kind == "Deployment" { // namespaced, placed by Argo CD into the destination
				continue
			}
			if !permitted(whitelist, group, kind, str(o, "metadata.name")) {
				t.Errorf("%s: %s is not permitted by project %s", r.what, k, r.project)
			}
			id := r.cluster + "/" + kind + "/" + str(o, "metadata.name")
			if prev, ok := owner[id]; ok {
				t.Errorf("%s: %s also rendered by %s", r.what, id, prev)
			}
			owner[id] = r.what
		}
	}
	if len(owner) < 15 {
		t.Errorf("only %d cluster-scoped objects rendered: %v", len(owner), owner)
	}

	// A null in an environment's values removes the chart's default, as
	// with helm -f. kustomize's default valuesMerge (override) would remove
	// it from its own merge of the values only for helm to bring the
	// default back; valuesMerge: replace hands helm the values as they are.
	text := mustRead(t, argoExample)
	block := "    values:\n      apk:\n"
	if !strings.Contains(text, block) {
		t.Fatalf("%s: no values.apk block", argoExample)
	}
	withNull := compile(t, strings.Replace(text, block, block+"        idp: null\n", 1))
	root = t.TempDir()
	if _, err := write.Tree(root, withNull.Tree); err != nil {
		t.Fatal(err)
	}
	got := argoRender(t, helm, root, "apps/test/apk", repo)
	data, _ := get(got["ConfigMap/apk-test/apk-test-values"], "data").(map[string]any)
	var v obj
	if err := yaml.Unmarshal([]byte(fmt.Sprint(data["values.json"])), &v); err != nil {
		t.Fatal(err)
	}
	if v == nil || v["idp"] != nil {
		t.Errorf("values with idp: null render as %v; want the chart's idp default removed", v)
	}
}
