package kubeschema

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
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

// TestBuiltinIsTestdata: the schemas apkgen ships are byte-for-byte copies
// of testdata/schemas, so the two cannot drift apart, and they compile.
func TestBuiltinIsTestdata(t *testing.T) {
	entries, err := builtin.ReadDir("builtin")
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 6 {
		t.Fatalf("builtin has %d schemas, want the 6 of core v1 and cert-manager", len(entries))
	}
	for _, e := range entries {
		got, err := builtin.ReadFile("builtin/" + e.Name())
		if err != nil {
			t.Fatal(err)
		}
		want, err := os.ReadFile(filepath.Join(dir, e.Name()))
		if err != nil {
			t.Fatalf("%s: not in testdata/schemas: %v", e.Name(), err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("builtin/%s differs from testdata/schemas/%s: copy it again", e.Name(), e.Name())
		}
	}
	s, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	for _, key := range s.Kinds() {
		api, kind, _ := strings.Cut(key, " ")
		if _, err := s.Schema(api, kind); err != nil {
			t.Errorf("%s: %v", key, err)
		}
	}
	if err := s.Validate(map[string]any{"apiVersion": "v1", "kind": "ConfigMap", "metadata": map[string]any{"name": "x"}, "data": map[string]any{"k": 1}}); err == nil {
		t.Error("a ConfigMap with a number in data validates")
	}
}
