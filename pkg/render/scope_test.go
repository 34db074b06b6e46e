package render

import "testing"

// Scopes knows the built-in kinds, learns a CRD's kind and scope (which
// overrides the built-in table), and takes an unknown kind as namespaced.
func TestScopes(t *testing.T) {
	crd := func(group, kind, scope string) Object {
		return Object{Obj: map[string]any{
			"apiVersion": "apiextensions.k8s.io/v1", "kind": "CustomResourceDefinition",
			"spec": map[string]any{"group": group, "scope": scope, "names": map[string]any{"kind": kind}},
		}}
	}
	var none *Scopes
	s := &Scopes{}
	s.Learn(crd("example.com", "Widget", "Cluster"))
	s.Learn(crd("example.com", "Gadget", "Namespaced"))
	s.Learn(crd("cert-manager.io", "ClusterIssuer", "Namespaced")) // overrides the table
	s.Learn(Object{Obj: map[string]any{"apiVersion": "v1", "kind": "ConfigMap"}})
	for _, tc := range []struct {
		s                *Scopes
		apiVersion, kind string
		want             bool
	}{
		{none, "v1", "Namespace", true},
		{none, "v1", "ConfigMap", false},
		{none, "example.com/v1", "Widget", false},
		{s, "example.com/v1", "Widget", true},
		{s, "example.com/v1alpha1", "Gadget", false},
		{s, "cert-manager.io/v1", "ClusterIssuer", false},
		{s, "rbac.authorization.k8s.io/v1", "ClusterRole", true},
		{s, "other.io/v1", "Thing", false},
	} {
		if got := tc.s.ClusterScoped(tc.apiVersion, tc.kind); got != tc.want {
			t.Errorf("%v ClusterScoped(%s, %s) = %v, want %v", tc.s != nil, tc.apiVersion, tc.kind, got, tc.want)
		}
	}
}
