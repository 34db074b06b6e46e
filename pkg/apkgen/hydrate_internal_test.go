package apkgen

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/render"
)

// TestFileName: objects outside the release's namespace get it as a prefix,
// and a clash adds the group after the kind, never inside the namespace.
func TestFileName(t *testing.T) {
	gw := render.Object{Obj: map[string]any{
		"apiVersion": "gateway.networking.k8s.io/v1", "kind": "Gateway",
		"metadata": map[string]any{"name": "foo", "namespace": "gateway-system"},
	}}
	taken := map[string]bool{}
	for _, want := range []string{
		"gateway-system-gateway-foo.yaml",
		"gateway-system-gateway.gateway.networking.k8s.io-foo.yaml",
		"gateway-system-gateway-foo-2.yaml",
	} {
		if got := fileName(gw, "gateway-system", "apk", taken); got != want {
			t.Errorf("fileName = %q, want %q", got, want)
		}
	}
	if got := fileName(gw, "apk", "apk", map[string]bool{}); got != "gateway-foo.yaml" {
		t.Errorf("in the release's namespace: %q", got)
	}
}

// TestFileNameStaysInItsFolder: an object's name comes from the chart and
// the values; one with path separators ("../../victim", set through a
// value) names a file in its release's folder all the same.
func TestFileNameStaysInItsFolder(t *testing.T) {
	sa := render.Object{Obj: map[string]any{
		"apiVersion": "v1", "kind": "ServiceAccount",
		"metadata": map[string]any{"name": "../../../../victim", "namespace": `..\..\x`},
	}}
	got := fileName(sa, `..\..\x`, "apk", map[string]bool{})
	if strings.ContainsAny(got, `/\`) || !filepath.IsLocal(got) {
		t.Errorf("fileName = %q: a path, not a file name", got)
	}
}
