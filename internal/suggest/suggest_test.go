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
	if got := Hint("buld", []string{"build", "diff"}); got != ` did you mean "build"?` {
		t.Errorf("Hint: %q", got)
	}
	if got := Hint("xyz", []string{"build"}); got != "" {
		t.Errorf("Hint of nothing near: %q", got)
	}
}
