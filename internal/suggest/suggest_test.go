package suggest

import "testing"

func TestClosest(t *testing.T) {
	allowed := []string{"namespace", "cluster", "hostnames"}
	for name, want := range map[string]string{
		"namspace":  "namespace",
		"Namespace": "namespace",
		"clustr":    "cluster",
		"zzz":       "",
		"values":    "",
	} {
		if got := Closest(name, allowed); got != want {
			t.Errorf("Closest(%q) = %q, want %q", name, got, want)
		}
	}
	// Letters left out point at the longer name, not a nearer one.
	patterns := []string{"cp-dp-k8s", "cp-vm-dp-k8s", "dp-per-namespace"}
	for name, want := range map[string]string{
		"cp-vm-k8s":       "cp-vm-dp-k8s",
		"cp-dp-k8":        "cp-dp-k8s",
		"cp-db-k8s":       "cp-dp-k8s",
		"dp-per-namspace": "dp-per-namespace",
		"cp--dp-k8s":      "cp-dp-k8s", // one edit away wins
		"cp-vp-k8s":       "cp-dp-k8s",
	} {
		if got := Closest(name, patterns); got != want {
			t.Errorf("Closest(%q) = %q, want %q", name, got, want)
		}
	}
	if got := Closest("stagn", []string{"stage", "staging"}); got != "stage" {
		t.Errorf("Closest(stagn) = %q, want stage", got)
	}
	if got := Hint("buld", []string{"build", "diff"}); got != ` did you mean "build"?` {
		t.Errorf("Hint: %q", got)
	}
	if got := Hint("xyz", []string{"build"}); got != "" {
		t.Errorf("Hint of nothing near: %q", got)
	}
}
