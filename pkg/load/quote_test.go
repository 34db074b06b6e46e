package load

import (
	"strings"
	"testing"
)

// A number or a boolean where a string goes is told how the file's format
// read it and how to quote it; the format comes from the extension in any
// case, and a file in CUE says what it means.
func TestQuoteHint(t *testing.T) {
	const yamlEnv = "apiVersion: apkgen/v1alpha1\nkind: Environments\nclusters: {nonprod: {}}\nenvironments:\n  dev:\n" +
		"    pattern: dp-per-namespace\n    cluster: nonprod\n    namespace: %s\n" +
		"    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}\n"
	const jsonEnv = `{"apiVersion": "apkgen/v1alpha1", "kind": "Environments", "clusters": {"nonprod": {}},
"environments": {"dev": {"pattern": "dp-per-namespace", "cluster": "nonprod", "namespace": 42,
"hostnames": {"gateway": "dev.gw.example.com", "system": "dev.apk.example.com"}}}}`
	for _, c := range []struct{ name, text, want string }{
		{"envs.yaml", strings.Replace(yamlEnv, "%s", "true", 1), `(YAML reads true as a boolean); quote it: "true"`},
		{"envs.yaml", strings.Replace(yamlEnv, "%s", "0755", 1), `(YAML reads 0755 as a number); quote it: "0755"`},
		{"envs.json", jsonEnv, `(JSON reads 42 as a number); quote it: "42"`},
		{"ENVS.JSON", jsonEnv, `(JSON reads 42 as a number); quote it: "42"`},
	} {
		_, err := Parse(c.name, []byte(c.text), Options{})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %s", c.name, err, c.want)
		}
	}
}

// TestJoinPath: a key that is empty or holds a dot is quoted, so that the
// dots of a path tell where each key ends; others are as written.
func TestJoinPath(t *testing.T) {
	for _, tc := range []struct {
		path []string
		want string
	}{
		{[]string{"environments", "dev-1", "namespace"}, "environments.dev-1.namespace"},
		{[]string{"labels", "app.kubernetes.io/name"}, `labels."app.kubernetes.io/name"`},
		{[]string{"gateway", ""}, `gateway.""`},
		{nil, ""},
	} {
		if got := joinPath(tc.path); got != tc.want {
			t.Errorf("joinPath(%q) = %s, want %s", tc.path, got, tc.want)
		}
	}
}
