package generate

import "testing"

func TestEnvOf(t *testing.T) {
	for p, want := range map[string]string{
		// Both layouts.
		".apkgen":                                   "",
		"apps/dev/kustomization.yaml":               "dev",
		"apps/dev/deployment.toml":                  "dev",
		"infrastructure/nonprod/kustomization.yaml": "",
		// Flux.
		"apps/base/apk/release.yaml":           "",
		"apps/dev/apk-release.yaml":            "dev",
		"clusters/nonprod/apps-dev.yaml":       "dev",
		"clusters/nonprod/apps-dev-eu.yaml":    "dev-eu",
		"clusters/nonprod/infrastructure.yaml": "",
		// Argo CD.
		"apps/dev/apk/kustomization.yaml":                        "dev",
		"infrastructure/nonprod/cert-manager/kustomization.yaml": "",
		"infrastructure/nonprod/apk-crds/kustomization.yaml":     "",
		"argocd/nonprod/bootstrap.yaml":                          "",
		"argocd/nonprod/kustomization.yaml":                      "",
		"argocd/nonprod/application-nonprod-cert-manager.yaml":   "",
		"argocd/nonprod/dev/kustomization.yaml":                  "dev",
		"argocd/nonprod/dev-eu/application-dev-eu-apk.yaml":      "dev-eu",
		// build --render.
		"rendered/dev/apk/clusterrole-apk-dev-wso2apk-role.yaml":  "dev",
		"rendered/test/agent/service-apim-apk-agent-service.yaml": "test",
		"rendered": "",
	} {
		if got := EnvOf(p); got != want {
			t.Errorf("EnvOf(%q) = %q, want %q", p, got, want)
		}
	}
}
