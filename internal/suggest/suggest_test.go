package suggest

import "testing"

func TestClosest(t *testing.T) {
	fields := []string{"namespace", "cluster", "hostnames"}
	patterns := []string{"cp-dp-k8s", "cp-vm-dp-k8s", "dp-per-namespace"}
	for _, c := range []struct {
		name    string
		allowed []string
		want    string
	}{
		{"namspace", fields, "namespace"},
		{"Namespace", fields, "namespace"},
		{"clustr", fields, "cluster"},
		{"zzz", fields, ""},
		{"values", fields, ""},
		// Letters left out point at the longer name, not a nearer one...
		{"cp-vm-k8s", patterns, "cp-vm-dp-k8s"},
		{"cp-dp-k8", patterns, "cp-dp-k8s"},
		{"cp-db-k8s", patterns, "cp-dp-k8s"},
		{"dp-per-namspace", patterns, "dp-per-namespace"},
		// ...unless a name is one edit away.
		{"cp--dp-k8s", patterns, "cp-dp-k8s"},
		{"cp-vp-k8s", patterns, "cp-dp-k8s"},
		{"stagn", []string{"stage", "staging"}, "stage"},
	} {
		if got := Closest(c.name, c.allowed); got != c.want {
			t.Errorf("Closest(%q) = %q, want %q", c.name, got, c.want)
		}
	}
	if got := Hint("buld", []string{"build", "diff"}); got != ` did you mean "build"?` {
		t.Errorf("Hint: %q", got)
	}
	if got := Hint("xyz", []string{"build"}); got != "" {
		t.Errorf("Hint of nothing near: %q", got)
	}
}
