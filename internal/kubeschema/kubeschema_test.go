package kubeschema

import (
	"errors"
	"strings"
	"testing"
)

const dir = "../../testdata/schemas"

func load(t *testing.T) *Set {
	t.Helper()
	s, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

// TestSchemasCompile compiles every schema of testdata/schemas, so a broken
// or misnamed file fails here rather than in whichever test first needs it.
func TestSchemasCompile(t *testing.T) {
	s := load(t)
	for _, want := range []string{
		"helm.toolkit.fluxcd.io/v2 HelmRelease",
		"source.toolkit.fluxcd.io/v1 HelmRepository",
		"source.toolkit.fluxcd.io/v1 GitRepository",
		"kustomize.toolkit.fluxcd.io/v1 Kustomization",
		"v1 Namespace", "v1 Service", "v1 ConfigMap", "v1 Secret",
		"cert-manager.io/v1 Issuer", "cert-manager.io/v1 Certificate",
		"argoproj.io/v1alpha1 Application", "argoproj.io/v1alpha1 ApplicationSet", "argoproj.io/v1alpha1 AppProject",
	} {
		api, kind, _ := strings.Cut(want, " ")
		if _, err := s.Schema(api, kind); err != nil {
			t.Errorf("%s: %v", want, err)
		}
	}
}

// helmRelease is a valid HelmRelease like the ones apkgen writes; each
// negative case breaks one thing in it.
func helmRelease() map[string]any {
	return map[string]any{
		"apiVersion": "helm.toolkit.fluxcd.io/v2",
		"kind":       "HelmRelease",
		"metadata":   map[string]any{"name": "apk", "namespace": "apk"},
		"spec": map[string]any{
			"interval":    "10m",
			"releaseName": "apk",
			"chart": map[string]any{"spec": map[string]any{
				"chart": "apk-helm", "version": "1.3.0-1",
				"sourceRef": map[string]any{"kind": "HelmRepository", "name": "apk"},
			}},
			"values": map[string]any{"anything": map[string]any{"goes": []any{1, "x"}}},
			"postRenderers": []any{map[string]any{"kustomize": map[string]any{
				"patches": []any{map[string]any{"patch": "kind: X\n"}},
			}}},
		},
	}
}

func spec(o map[string]any) map[string]any { return o["spec"].(map[string]any) }

func TestValidObjectPasses(t *testing.T) {
	if err := load(t).Validate(helmRelease()); err != nil {
		t.Fatal(err)
	}
}

func TestRejects(t *testing.T) {
	s := load(t)
	cases := []struct {
		name   string
		mutate func(map[string]any)
		want   string // in the error: where it is wrong
	}{
		{"unknown spec field", func(o map[string]any) { spec(o)["valuez"] = map[string]any{} }, "at /spec: additional properties 'valuez'"},
		{"wrong type", func(o map[string]any) { spec(o)["interval"] = 10 }, "at /spec/interval:"},
		{"metadata typo", func(o map[string]any) { o["metadata"].(map[string]any)["lables"] = map[string]any{} }, "at /metadata: additional properties 'lables'"},
		{"unknown post-renderer field", func(o map[string]any) {
			spec(o)["postRenderers"] = []any{map[string]any{"kustomize": map[string]any{"patchesStrategicMerge": []any{"x"}}}}
		}, "at /spec/postRenderers/0/kustomize: additional properties 'patchesStrategicMerge'"},
		{"bad enum", func(o map[string]any) { spec(o)["install"] = map[string]any{"crds": "Always"} }, "at /spec/install/crds:"},
		{"missing required", func(o map[string]any) { delete(spec(o), "interval") }, "missing property 'interval'"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			o := helmRelease()
			c.mutate(o)
			err := s.Validate(o)
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("got %v, want an error containing %q", err, c.want)
			}
		})
	}
}

func TestNoSchema(t *testing.T) {
	err := load(t).Validate(map[string]any{"apiVersion": "helm.toolkit.fluxcd.io/v2beta1", "kind": "HelmRelease"})
	if !errors.Is(err, ErrNoSchema) {
		t.Fatalf("got %v, want ErrNoSchema", err)
	}
}
