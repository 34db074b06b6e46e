package generate

import "testing"

func TestEnvOf(t *testing.T) {
	for p, want := range map[string]string{
		"apps/dev/kustomization.yaml":                             "dev",
		"apps/base/apk/release.yaml":                              "",
		"clusters/nonprod/apps-dev.yaml":                          "dev",
		"clusters/nonprod/infrastructure.yaml":                    "",
		"infrastructure/nonprod/kustomization.yaml":               "",
		"rendered/dev/apk/clusterrole-apk-dev-wso2apk-role.yaml":  "dev",
		"rendered/test/agent/service-apim-apk-agent-service.yaml": "test",
		"rendered": "",
		".apkgen":  "",
	} {
		if got := EnvOf(p); got != want {
			t.Errorf("EnvOf(%s) = %q, want %q", p, got, want)
		}
	}
}
