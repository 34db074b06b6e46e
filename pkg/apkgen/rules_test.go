package apkgen_test

// The chart rules of docs/reference.md §3, each checked on the generated
// tree as Flux would apply it: every apps/<env> and infrastructure/<cluster>
// folder is built with the kustomize API and the objects are read back.

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/pelletier/go-toml/v2"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/verify"
)

type obj = map[string]any

// built is a compiled file with every kustomize folder built.
type built struct {
	*apkgen.Compiled
	dirs map[string][]obj
}

func compile(t *testing.T, yamlText string) *built {
	t.Helper()
	file := filepath.Join(t.TempDir(), "environments.yaml")
	if err := os.WriteFile(file, []byte(yamlText), 0o644); err != nil {
		t.Fatal(err)
	}
	return buildFile(t, file)
}

// compiledFiles are the files compileFile built, by path: tests only read
// what it returns, so each example is compiled and built once.
var compiledFiles sync.Map

// compileFile is buildFile, once per file (for the examples).
func compileFile(t *testing.T, file string) *built {
	t.Helper()
	if b, ok := compiledFiles.Load(file); ok {
		return b.(*built)
	}
	b := buildFile(t, file)
	compiledFiles.Store(file, b)
	return b
}

// buildFile compiles file and builds every kustomize folder of its tree.
func buildFile(t *testing.T, file string) *built {
	t.Helper()
	// verify.Build below is what Compile's verification would do.
	c, err := apkgen.CompileUnverified(file)
	if err != nil {
		t.Fatalf("compile: %v", err)
	}
	maps, err := verify.Build(c.Tree)
	if err != nil {
		t.Fatal(err)
	}
	b := &built{Compiled: c, dirs: map[string][]obj{}}
	for dir, m := range maps {
		for _, r := range m.Resources() {
			o, err := r.Map()
			if err != nil {
				t.Fatal(err)
			}
			b.dirs[dir] = append(b.dirs[dir], o)
		}
	}
	return b
}

// find returns the object of kind and name in a built folder.
func (b *built) find(t *testing.T, dir, kind, name string) obj {
	t.Helper()
	for _, o := range b.dirs[dir] {
		if o["kind"] == kind && get(o, "metadata.name") == name {
			return o
		}
	}
	t.Fatalf("%s: no %s %q (have %v)", dir, kind, name, names(b.dirs[dir]))
	return nil
}

func (b *built) all(dir, kind string) []obj {
	var out []obj
	for _, o := range b.dirs[dir] {
		if o["kind"] == kind {
			out = append(out, o)
		}
	}
	return out
}

func names(objs []obj) []string {
	var out []string
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%v/%v", o["kind"], get(o, "metadata.name")))
	}
	return out
}

// get reads a dotted path; a segment "[i]" indexes a list.
func get(o any, path string) any {
	cur := o
	for _, seg := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			cur = c[seg]
		case []any:
			var i int
			if _, err := fmt.Sscanf(seg, "[%d]", &i); err != nil || i >= len(c) {
				return nil
			}
			cur = c[i]
		default:
			return nil
		}
	}
	return cur
}

func str(o any, path string) string {
	s, _ := get(o, path).(string)
	return s
}

func values(hr obj) obj { v, _ := get(hr, "spec.values").(map[string]any); return v }

func eq(t *testing.T, what string, got, want any) {
	t.Helper()
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("%s = %v, want %v", what, got, want)
	}
}

const sharedCluster = `apiVersion: apkgen/v1alpha1
kind: Environments
gitops: {path: deploy}
clusters:
  nonprod: {}
  other: {}
environments:
  dev:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-dev
    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}
  qa:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-qa
    hostnames: {gateway: qa.gw.example.com, system: qa.apk.example.com}
  test:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-test
    hostnames: {gateway: test.gw.example.com, system: test.apk.example.com}
  solo:
    pattern: dp-per-namespace
    cluster: other
    namespace: apk
    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}
`

func TestDPPerNamespaceValues(t *testing.T) {
	b := compile(t, sharedCluster)
	for _, env := range []string{"dev", "qa", "test"} {
		t.Run(env, func(t *testing.T) {
			dir := "apps/" + env
			hr := b.find(t, dir, "HelmRelease", "apk")
			v := values(hr)
			ns := "apk-" + env
			gw, sys := env+".gw.example.com", env+".apk.example.com"
			eq(t, "namespace", str(hr, "metadata.namespace"), ns)
			// The working path has .deployment.; the docs' path does nothing.
			eq(t, "adapter apiNamespaces", get(v, "wso2.apk.dp.adapter.deployment.configs.apiNamespaces"), []any{ns})
			eq(t, "commonController apiNamespaces", get(v, "wso2.apk.dp.commonController.deployment.configs.apiNamespaces"), []any{ns})
			if get(v, "wso2.apk.dp.adapter.configs") != nil || get(v, "wso2.apk.dp.commonController.configs") != nil {
				t.Error("the docs' apiNamespaces path without .deployment. is set")
			}
			eq(t, "listener.hostname", str(v, "wso2.apk.listener.hostname"), sys)
			eq(t, "gateway listener hostname", str(v, "wso2.apk.dp.gateway.listener.hostname"), gw)
			// The certificate names must cover the gateway hostname's routes
			// (<org>.<gw>, default.<gw>, and the sandbox vhost).
			dns, _ := get(v, "wso2.apk.dp.gateway.listener.dns").([]any)
			for _, host := range []string{"default." + gw, "acme." + gw, "acme.sandbox." + gw} {
				if !coveredBy(host, dns) {
					t.Errorf("gateway certificate dns %v does not cover %s", dns, host)
				}
			}
			vhosts, _ := get(v, "wso2.apk.dp.configdeployer.vhosts").([]any)
			var prod, sandbox []any
			for _, vh := range vhosts {
				hosts, _ := get(vh, "hosts").([]any)
				switch get(vh, "type") {
				case "production":
					prod = append(prod, hosts...)
				case "sandbox":
					sandbox = append(sandbox, hosts...)
				}
			}
			eq(t, "production vhosts", prod, []any{gw})
			eq(t, "sandbox vhosts", sandbox, []any{"sandbox." + gw})
			for _, h := range append(prod, sandbox...) {
				if !coveredBy("acme."+h.(string), dns) {
					t.Errorf("vhost %s: routes acme.%s not covered by the certificate %v", h, h, dns)
				}
			}
			// cert-manager is shared per cluster: none in the release, and the
			// charts' certificates come from the environment's own CA Issuer.
			eq(t, "certmanager.enabled", get(v, "certmanager.enabled"), false)
			eq(t, "certmanager.enableClusterIssuer", get(v, "certmanager.enableClusterIssuer"), false)
			eq(t, "certmanager.issuerKind", get(v, "certmanager.issuerKind"), "Issuer")
			issuer := str(v, "certmanager.listeners.issuerName")
			eq(t, "servers.issuerName", str(v, "certmanager.servers.issuerName"), issuer)
			is := b.find(t, dir, "Issuer", issuer)
			eq(t, "Issuer namespace", str(is, "metadata.namespace"), ns)
			// Only the chart's ClusterIssuer, switched off, reads
			// rootCaSecretName: apkgen verify reports it as ignored if set.
			eq(t, "certmanager.rootCaSecretName", get(v, "certmanager.rootCaSecretName"), nil)
			var rootCA bool
			for _, c := range b.all(dir, "Certificate") {
				if str(c, "spec.secretName") == str(is, "spec.ca.secretName") && get(c, "spec.isCA") == true {
					rootCA = true
				}
			}
			if !rootCA {
				t.Errorf("no CA Certificate writes Secret %s for Issuer %s", str(is, "spec.ca.secretName"), issuer)
			}
		})
	}
}

// coveredBy reports whether a certificate with these dnsNames is valid for
// host (a wildcard covers exactly one label).
func coveredBy(host string, dns []any) bool {
	for _, d := range dns {
		name := d.(string)
		if name == host {
			return true
		}
		if rest, ok := strings.CutPrefix(name, "*."); ok {
			if label, suffix, ok := strings.Cut(host, "."); ok && label != "" && suffix == rest {
				return true
			}
		}
	}
	return false
}

// TestDPPerNamespaceSharedCluster: what must exist once per cluster does,
// and what is per release never collides.
func TestDPPerNamespaceSharedCluster(t *testing.T) {
	b := compile(t, sharedCluster)
	envs := map[string][]string{"nonprod": {"dev", "qa", "test"}, "other": {"solo"}}
	for cluster, list := range envs {
		// ClusterRole gateway-api-admission has a fixed name: no release
		// creates it (deleting that environment would take it from the
		// others); the cluster's infrastructure does, once.
		var admissionRoleOwners int
		for _, env := range list {
			v := values(b.find(t, "apps/"+env, "HelmRelease", "apk"))
			if get(v, "gatewaySystem.enableClusterRoleCreation") != false {
				admissionRoleOwners++
			}
		}
		eq(t, cluster+": releases creating ClusterRole gateway-api-admission", admissionRoleOwners, 0)

		infra := "infrastructure/" + cluster
		role := filter(b.all(infra, "ClusterRole"), "gateway-api-admission")
		eq(t, infra+": ClusterRole gateway-api-admission", len(role), 1)
		if len(role) == 1 {
			eq(t, infra+": ClusterRole gateway-api-admission rules", fmt.Sprint(get(role[0], "rules")),
				"[map[apiGroups:[admissionregistration.k8s.io] resources:[validatingwebhookconfigurations] verbs:[get update]]]")
		}
		eq(t, infra+": GitRepository apk-crds", len(filter(b.all(infra, "GitRepository"), "apk-crds")), 1)
		ks := filter(b.all(infra, "Kustomization"), "apk-crds")
		eq(t, infra+": Kustomization apk-crds", len(ks), 1)
		if len(ks) == 1 {
			// Unset, both default to its interval (1h): one failed apply of
			// the bundle would hold every environment of the cluster back
			// for an hour.
			eq(t, infra+": apk-crds retryInterval", fmt.Sprint(get(ks[0], "spec.retryInterval")), "2m")
			eq(t, infra+": apk-crds timeout", fmt.Sprint(get(ks[0], "spec.timeout")), "15m")
		}
		eq(t, infra+": cert-manager HelmRelease", len(filter(b.all(infra, "HelmRelease"), "cert-manager")), 1)
		for _, env := range list {
			if len(b.all("apps/"+env, "CustomResourceDefinition")) > 0 {
				t.Errorf("apps/%s installs CRDs; they belong to %s", env, infra)
			}
		}
	}
	if t.Failed() {
		return
	}
	// Every cluster-scoped name a release of apk-helm 1.3.0-1 creates
	// (docs/reference.md §3.5), plus the cluster-scoped objects of the tree itself.
	for cluster, list := range envs {
		owner := map[string]string{}
		claim := func(name, who string) {
			if prev, ok := owner[name]; ok {
				t.Errorf("cluster %s: %s created by both %s and %s", cluster, name, prev, who)
			}
			owner[name] = who
		}
		for _, o := range b.dirs["infrastructure/"+cluster] {
			if str(o, "metadata.namespace") == "" {
				claim(fmt.Sprintf("%v/%s", o["kind"], str(o, "metadata.name")), "infrastructure")
			}
		}
		for _, env := range list {
			for _, o := range b.dirs["apps/"+env] {
				if str(o, "metadata.namespace") == "" {
					claim(fmt.Sprintf("%v/%s", o["kind"], str(o, "metadata.name")), env)
				}
			}
			hr := b.find(t, "apps/"+env, "HelmRelease", "apk")
			v := values(hr)
			rel := str(hr, "spec.releaseName")
			claim("HelmRelease-name/"+rel, env)
			claim("ClusterRole/"+str(v, "wso2.apk.auth.roleName"), env)
			claim("GatewayClass/"+str(v, "wso2.apk.dp.gatewayClass.name"), env)
			// <rel>-wso2-apk-* cluster-scoped objects are unique with the release name.
			claim("prefix/"+rel+"-wso2-apk-", env)
			if get(v, "gatewaySystem.enableClusterRoleCreation") != false {
				claim("ClusterRole/gateway-api-admission", env)
			}
			if get(v, "skipCrds") != true {
				claim("CustomResourceDefinition/apis.dp.wso2.com", env)
			}
		}
	}
}

func filter(objs []obj, name string) []obj {
	var out []obj
	for _, o := range objs {
		if str(o, "metadata.name") == name {
			out = append(out, o)
		}
	}
	return out
}

// TestCRDPolicy: every APK release skips the chart's CRDs, and its Flux
// post-renderer really removes the three templated CRDs skipCrds leaves,
// applied with the kustomize API the way helm-controller applies it.
func TestCRDPolicy(t *testing.T) {
	b := compileFile(t, "../../examples/mixed.yaml")
	for _, e := range b.Plan.Environments {
		hr := b.find(t, "apps/"+e.Name, "HelmRelease", "apk")
		eq(t, e.Name+" install.crds", str(hr, "spec.install.crds"), "Skip")
		eq(t, e.Name+" upgrade.crds", str(hr, "spec.upgrade.crds"), "Skip")
		eq(t, e.Name+" skipCrds", get(values(hr), "skipCrds"), true)
		patches := postRenderPatches(hr)
		rendered := crd("apis.dp.wso2.com") + crd("apipolicies.dp.wso2.com") +
			crd("authentications.dp.wso2.com") + crd("tokenissuers.dp.wso2.com") + crd("backends.dp.wso2.com") +
			"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: apk-wso2-apk-adapter\n---\n"
		got := kustomizeNames(t, rendered, patches)
		eq(t, e.Name+" post-rendered objects", got,
			[]string{"CustomResourceDefinition/apis.dp.wso2.com", "CustomResourceDefinition/backends.dp.wso2.com", "Deployment/apk-wso2-apk-adapter"})
		// A chart that no longer renders them (the 1.x branch's skipCrds)
		// still post-renders: each patch targets its CRD by name.
		got = kustomizeNames(t, "apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: apk-wso2-apk-adapter\n", patches)
		eq(t, e.Name+" post-rendered objects without the CRDs", got, []string{"Deployment/apk-wso2-apk-adapter"})
	}
}

// TestCRDBundleSkipsCertManager: the cluster's CRD bundle carries old
// cert-manager CRDs; the Flux Kustomization's patches drop them and keep
// the rest.
func TestCRDBundleSkipsCertManager(t *testing.T) {
	b := compileFile(t, "../../examples/mixed.yaml")
	k := filter(b.all("infrastructure/nonprod", "Kustomization"), "apk-crds")[0]
	if get(k, "spec.prune") != false {
		t.Error("the CRD Kustomization prunes: deleting CRDs deletes every API object")
	}
	bundle := crd("certificates.cert-manager.io") + crd("issuers.cert-manager.io") +
		crd("gateways.gateway.networking.k8s.io") + crd("apis.dp.wso2.com")
	got := kustomizeNames(t, bundle, get(k, "spec.patches").([]any))
	eq(t, "applied CRDs", got, []string{"CustomResourceDefinition/apis.dp.wso2.com", "CustomResourceDefinition/gateways.gateway.networking.k8s.io"})
	repo := filter(b.all("infrastructure/nonprod", "GitRepository"), "apk-crds")[0]
	if !strings.HasSuffix(str(k, "spec.path"), "configure-permissions") || !strings.Contains(str(repo, "spec.ignore"), "crds.yaml") {
		t.Errorf("CRD source: path %q, ignore %q", str(k, "spec.path"), str(repo, "spec.ignore"))
	}
}

func crd(name string) string {
	return "apiVersion: apiextensions.k8s.io/v1\nkind: CustomResourceDefinition\nmetadata:\n  name: " + name + "\n---\n"
}

// kustomizeStream runs kustomize on a YAML stream with Flux-style patches
// (items {patch, target}), as a post-renderer does.
func kustomizeStream(t *testing.T, stream []byte, patches []any) resmap.ResMap {
	t.Helper()
	fs := filesys.MakeFsInMemory()
	k := obj{"apiVersion": "kustomize.config.k8s.io/v1beta1", "kind": "Kustomization",
		"resources": []any{"rendered.yaml"}, "patches": patches}
	kb, err := yaml.Marshal(k)
	if err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("/k/kustomization.yaml", kb); err != nil {
		t.Fatal(err)
	}
	if err := fs.WriteFile("/k/rendered.yaml", stream); err != nil {
		t.Fatal(err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(fs, "/k")
	if err != nil {
		t.Fatalf("kustomize: %v", err)
	}
	return m
}

// postRenderPatches lists a HelmRelease's post-render kustomize patches.
func postRenderPatches(hr obj) []any {
	var patches []any
	for _, pr := range asList(get(hr, "spec.postRenderers")) {
		patches = append(patches, asList(get(pr, "kustomize.patches"))...)
	}
	return patches
}

// kustomizeNames is kustomizeStream's result as kind/name, sorted.
func kustomizeNames(t *testing.T, stream string, patches []any) []string {
	t.Helper()
	var out []string
	for _, r := range kustomizeStream(t, []byte(stream), patches).Resources() {
		out = append(out, r.GetKind()+"/"+r.GetName())
	}
	slices.Sort(out)
	return out
}

func TestCPDPK8s(t *testing.T) {
	b := compileFile(t, "../../examples/cp-dp-k8s.yaml")
	dir, ns, gw := "apps/uat", "apk", "uat.gw.example.com"
	apk := b.find(t, dir, "HelmRelease", "apk")
	agent := b.find(t, dir, "HelmRelease", "agent")
	apim := b.find(t, dir, "HelmRelease", "apim")
	for _, hr := range []obj{apk, agent, apim} {
		eq(t, str(hr, "metadata.name")+" namespace", str(hr, "metadata.namespace"), ns)
	}
	av, gv, mv := values(apk), values(agent), values(apim)

	eq(t, "apk cp.enabledSubscription", get(av, "wso2.apk.cp.enabledSubscription"), true)
	eq(t, "apk cp.host", str(av, "wso2.apk.cp.host"), "apim-apk-agent-service."+ns+".svc.cluster.local")
	eq(t, "apk cp.enableApiPropagation", get(av, "wso2.apk.cp.enableApiPropagation"), false)

	apimService := str(apim, "spec.releaseName") + "-wso2am-all-in-one-am-service-1." + ns + ".svc.cluster.local"
	eq(t, "agent serviceURL", str(gv, "controlPlane.serviceURL"), "https://"+apimService+":9443/")
	if !strings.HasPrefix(str(gv, "controlPlane.eventListeningEndpoints"), "amqp://"+apimService+":5672?") {
		t.Errorf("eventListeningEndpoints %q: want the APIM service on 5672", str(gv, "controlPlane.eventListeningEndpoints"))
	}
	envs, _ := get(mv, "wso2.apim.configurations.gateway.environments").([]any)
	if len(envs) != 1 {
		t.Fatalf("APIM gateway environments: %v", envs)
	}
	eq(t, "environmentLabels = APIM gateway environment", str(gv, "controlPlane.environmentLabels"), str(envs[0], "name"))
	// APK's gateway listens on 9095 only, for every protocol.
	for _, f := range []string{"httpHostname", "wsHostname", "websubHostname"} {
		eq(t, "APIM "+f, str(envs[0], f), "default."+gw+":9095")
	}
	eq(t, "APIM environment gatewayType", str(envs[0], "gatewayType"), "APK")
	if !slices.Contains(strings.Split(str(mv, "wso2.apim.configurations.gatewayType"), ","), "APK") {
		t.Errorf("APIM gatewayType %q lacks APK", str(mv, "wso2.apim.configurations.gatewayType"))
	}
	eq(t, "agent k8ResourceEndpoint", str(gv, "dataPlane.k8ResourceEndpoint"),
		"https://"+str(apk, "spec.releaseName")+"-wso2-apk-config-ds-service."+ns+".svc.cluster.local:9443/api/configurator/apis/generate-k8s-resources")
	eq(t, "agent dataPlane.namespace", str(gv, "dataPlane.namespace"), ns)
	eq(t, "agent.mode", str(gv, "agent.mode"), "CPtoDP")
	// APIM's keys come from its token endpoint: the chart sets [server]
	// hostname to the management ingress host, with HTTPS proxy port 443.
	issuer := "https://" + str(mv, "kubernetes.ingress.management.hostname") + ":443/oauth2/token"
	eq(t, "agent internalKeyIssuer", str(gv, "controlPlane.internalKeyIssuer"), issuer)
	eq(t, "enforcer apiKey", get(av, "wso2.apk.dp.gatewayRuntime.deployment.enforcer.configs.apiKey"), obj{"enabled": true, "issuer": issuer})

	// oauth2JWKSUrl needs port 9763, which the chart's Services lack.
	jwks := str(mv, "wso2.apim.configurations.oauth_config.oauth2JWKSUrl")
	var exposed bool
	for _, svc := range b.all(dir, "Service") {
		for _, p := range get(svc, "spec.ports").([]any) {
			host := str(svc, "metadata.name") + "." + ns + ".svc.cluster.local"
			if fmt.Sprint(get(p, "port")) == "9763" && jwks == "http://"+host+":9763/oauth2/jwks" {
				exposed = true
				eq(t, "JWKS Service selects APIM", get(svc, "spec.selector.deployment"), str(apim, "spec.releaseName")+"-wso2am-all-in-one-am")
			}
		}
	}
	if !exposed {
		t.Errorf("no Service in %s exposes 9763 for oauth2JWKSUrl %q", dir, jwks)
	}
	// APIM's own gateway serves no environment: no Ingress exposes it.
	for _, ing := range []string{"gateway", "websocket", "websub"} {
		eq(t, "APIM "+ing+" Ingress", get(mv, "kubernetes.ingress."+ing+".enabled"), false)
	}
	// The agent starts after the data plane and the control plane.
	eq(t, "agent dependsOn", get(agent, "spec.dependsOn"), []any{obj{"name": "apk"}, obj{"name": "apim"}})
}

// TestTLSSecrets: the Secrets named in tls become the listeners'
// certificate Secrets; without tls the chart's own stay.
func TestTLSSecrets(t *testing.T) {
	b := compileFile(t, "../../examples/cp-vm-dp-k8s.yaml")
	av := values(b.find(t, "apps/prod", "HelmRelease", "apk"))
	eq(t, "gateway listener secretName", get(av, "wso2.apk.dp.gateway.listener.secretName"), "gw-example-com-tls")
	eq(t, "system listener secretName", get(av, "wso2.apk.listener.secretName"), "apk-example-com-tls")
	b = compileFile(t, "../../examples/dp-per-namespace.yaml")
	av = values(b.find(t, "apps/dev", "HelmRelease", "apk"))
	eq(t, "gateway listener secretName without tls", get(av, "wso2.apk.dp.gateway.listener.secretName"), nil)
	eq(t, "system listener secretName without tls", get(av, "wso2.apk.listener.secretName"), nil)
}

func TestCPVMDPK8s(t *testing.T) {
	b := compileFile(t, "../../examples/cp-vm-dp-k8s.yaml")
	dir := "apps/prod"
	agent := b.find(t, dir, "HelmRelease", "agent")
	gv := values(agent)
	av := values(b.find(t, dir, "HelmRelease", "apk"))
	eq(t, "agent serviceURL", str(gv, "controlPlane.serviceURL"), "https://apim.internal.example.com:9443/")
	if !strings.HasPrefix(str(gv, "controlPlane.eventListeningEndpoints"), "amqp://apim.internal.example.com:5672?") {
		t.Errorf("eventListeningEndpoints %q", str(gv, "controlPlane.eventListeningEndpoints"))
	}
	eq(t, "agent secretName", str(gv, "controlPlane.secretName"), "apim-agent-credentials")
	for _, k := range []string{"username", "password"} {
		if get(gv, "controlPlane."+k) != nil {
			t.Errorf("controlPlane.%s set in the values; credentials come only from the Secret", k)
		}
	}
	if strings.Contains(str(gv, "controlPlane.eventListeningEndpoints"), "@") {
		t.Error("AMQP URL carries credentials")
	}
	eq(t, "agent environmentLabels", str(gv, "controlPlane.environmentLabels"), "Default_APK")
	eq(t, "agent internalKeyIssuer", str(gv, "controlPlane.internalKeyIssuer"), "https://apim.internal.example.com:9443/oauth2/token")
	eq(t, "enforcer apiKey", get(av, "wso2.apk.dp.gatewayRuntime.deployment.enforcer.configs.apiKey"),
		obj{"enabled": true, "issuer": "https://apim.internal.example.com:9443/oauth2/token"})

	// The VM's deployment.toml fragment sits beside the manifests, unapplied.
	raw, ok := b.Tree[dir+"/deployment.toml"]
	if !ok {
		t.Fatalf("no %s/deployment.toml", dir)
	}
	var conf struct {
		APIM struct {
			GatewayType string `toml:"gateway_type"`
			Gateway     struct {
				Environment []struct {
					Name          string `toml:"name"`
					GatewayType   string `toml:"gateway_type"`
					HTTPEndpoint  string `toml:"http_endpoint"`
					HTTPSEndpoint string `toml:"https_endpoint"`
				} `toml:"environment"`
			} `toml:"gateway"`
		} `toml:"apim"`
	}
	if err := toml.Unmarshal(raw, &conf); err != nil {
		t.Fatalf("deployment.toml: %v", err)
	}
	if !slices.Contains(strings.Split(conf.APIM.GatewayType, ","), "APK") {
		t.Errorf("[apim] gateway_type %q lacks APK", conf.APIM.GatewayType)
	}
	if len(conf.APIM.Gateway.Environment) != 1 {
		t.Fatalf("[[apim.gateway.environment]]: %+v", conf.APIM.Gateway.Environment)
	}
	env := conf.APIM.Gateway.Environment[0]
	eq(t, "toml environment name = agent environmentLabels", env.Name, str(gv, "controlPlane.environmentLabels"))
	eq(t, "toml gateway_type", env.GatewayType, "APK")
	eq(t, "toml http_endpoint", env.HTTPEndpoint, "http://default.gw.example.com:9090")
	eq(t, "toml https_endpoint", env.HTTPSEndpoint, "https://default.gw.example.com:9095")
	if strings.Contains(string(b.Tree[dir+"/kustomization.yaml"]), "deployment.toml") {
		t.Error("deployment.toml is listed as a kustomize resource; Flux must not apply it")
	}
}

// TestPasswordRefused: credentials are named by Secret, never written in the file.
func TestPasswordRefused(t *testing.T) {
	text := strings.Replace(mustRead(t, "../../examples/cp-vm-dp-k8s.yaml"),
		"      credentialsSecret: apim-agent-credentials\n",
		"      credentialsSecret: apim-agent-credentials\n      password: admin\n", 1)
	file := filepath.Join(t.TempDir(), "environments.yaml")
	if err := os.WriteFile(file, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := apkgen.Compile(file)
	if err == nil || !strings.Contains(err.Error(), "environments.prod.controlPlane.password") {
		t.Fatalf("a password in the file: got %v, want an error at environments.prod.controlPlane.password", err)
	}
}

func mustRead(t *testing.T, file string) string {
	t.Helper()
	b, err := os.ReadFile(file)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// TestEveryFileHasHeader: every generated file starts with the header line
// (an HTML comment in Markdown, where '#' would be a heading) and uses the
// current Flux API versions only.
func TestEveryFileHasHeader(t *testing.T) {
	for _, ex := range []string{"../../examples/mixed.yaml", "../../examples/mixed-argocd.yaml"} {
		b := compileFile(t, ex)
		if _, ok := b.Tree["README.md"]; !ok {
			t.Errorf("%s: no README.md in the tree", ex)
		}
		for _, p := range b.Tree.Paths() {
			data := string(b.Tree[p])
			header := "# Code generated by apkgen. DO NOT EDIT.\n"
			if strings.HasSuffix(p, ".md") {
				header = "<!-- Code generated by apkgen. DO NOT EDIT. -->\n"
			}
			if !strings.HasPrefix(data, header) {
				t.Errorf("%s: %s: does not start with %q", ex, p, header)
			}
			for _, old := range []string{"v2beta1", "v2beta2", "v1beta2", "v1beta1\nkind: HelmRepository"} {
				if strings.Contains(data, "toolkit.fluxcd.io/"+old) {
					t.Errorf("%s: %s: uses a deprecated Flux API %s", ex, p, old)
				}
			}
		}
	}
}
