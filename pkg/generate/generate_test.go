package generate

import "testing"

// TestEnvOfClusterOf: which environment, and which cluster's folder, a
// path of either layout belongs to.
func TestEnvOfClusterOf(t *testing.T) {
	for p, want := range map[string]struct{ env, cluster string }{
		// Both layouts.
		".apkgen":                     {},
		"README.md":                   {},
		"apps/dev/kustomization.yaml": {"dev", ""},
		"apps/dev/deployment.toml":    {"dev", ""},
		"infrastructure/nonprod/kustomization.yaml": {"", "nonprod"},
		"infrastructure": {},
		// Flux.
		"apps/base/apk/release.yaml":           {},
		"apps/dev/apk-release.yaml":            {"dev", ""},
		"clusters/nonprod/apps-dev.yaml":       {"dev", "nonprod"},
		"clusters/nonprod/apps-dev-eu.yaml":    {"dev-eu", "nonprod"},
		"clusters/prod-eu/infrastructure.yaml": {"", "prod-eu"},
		// Argo CD.
		"apps/dev/apk/kustomization.yaml":                                          {"dev", ""},
		"infrastructure/nonprod/cert-manager/kustomization.yaml":                   {"", "nonprod"},
		"infrastructure/nonprod/apk-crds/kustomization.yaml":                       {"", "nonprod"},
		"infrastructure/nonprod/apk-shared/clusterrole-gateway-api-admission.yaml": {"", "nonprod"},
		"argocd/uat/bootstrap.yaml":                                                {"", "uat"},
		"argocd/nonprod/kustomization.yaml":                                        {"", "nonprod"},
		"argocd/nonprod/application-nonprod-cert-manager.yaml":                     {"", "nonprod"},
		"argocd/nonprod/dev/kustomization.yaml":                                    {"dev", "nonprod"},
		"argocd/nonprod/dev-eu/application-dev-eu-apk.yaml":                        {"dev-eu", "nonprod"},
		// build --render.
		"rendered/dev/apk/clusterrole-apk-dev-wso2apk-role.yaml":  {"dev", ""},
		"rendered/test/agent/service-apim-apk-agent-service.yaml": {"test", ""},
		"rendered": {},
	} {
		if got := EnvOf(p); got != want.env {
			t.Errorf("EnvOf(%q) = %q, want %q", p, got, want.env)
		}
		if got := ClusterOf(p); got != want.cluster {
			t.Errorf("ClusterOf(%q) = %q, want %q", p, got, want.cluster)
		}
	}
}
