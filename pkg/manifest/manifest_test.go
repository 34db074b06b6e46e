package manifest

import (
	"math/big"
	sigsyaml "sigs.k8s.io/yaml"
	"strings"
	"testing"
)

func TestMarshal(t *testing.T) {
	huge, _ := new(big.Int).SetString("92233720368547758070", 10)
	obj := map[string]any{
		"spec": map[string]any{"z": 1, "name": "n", "a": true, "namespace": "ns"},
		"kind": "ConfigMap", "apiVersion": "v1", "metadata": map[string]any{"name": "x"},
		"data": map[string]any{
			"block":    "line 1\nline 2\n",
			"trailing": "line 1 \nline 2\n",
			"integral": 3.0, "fraction": 0.5, "big": 1e20, "huge": huge,
			"none": nil, "list": []any{int64(1), "two"},
		},
	}
	b, err := Marshal(obj)
	if err != nil {
		t.Fatal(err)
	}
	want := `apiVersion: v1
kind: ConfigMap
metadata:
  name: x
spec:
  name: "n"
  namespace: ns
  a: true
  z: 1
data:
  big: 1e+20
  block: |
    line 1
    line 2
  fraction: 0.5
  huge: 92233720368547758070
  integral: 3
  list:
    - 1
    - two
  none: null
  trailing: "line 1 \nline 2\n"
`
	if string(b) != want {
		t.Errorf("got:\n%s\nwant:\n%s", b, want)
	}
}

func TestEncode(t *testing.T) {
	b, err := Encode(map[string]any{"kind": "A"}, map[string]any{"kind": "B"})
	if err != nil {
		t.Fatal(err)
	}
	if want := Header + "kind: A\n---\nkind: B\n"; string(b) != want {
		t.Errorf("got %q, want %q", b, want)
	}
	if !IsGenerated(b) || IsGenerated([]byte("kind: A\n")) {
		t.Error("IsGenerated")
	}
}

// What YAML cannot hold canonically is an error, not a guess.
func TestMarshalRefuses(t *testing.T) {
	for _, v := range []any{
		map[string]any{"s": struct{ A int }{1}},
		map[string]any{"c": make(chan int)},
	} {
		if _, err := Marshal(v); err == nil || !strings.HasPrefix(err.Error(), "manifest: ") {
			t.Errorf("Marshal(%#v) = %v, want an error", v, err)
		}
	}
}

// TestYAML11ReadersGetStrings: strings YAML 1.1 takes for a bool or a
// merge key are quoted, so that Helm and kustomize (YAML 1.1 readers, as
// sigs.k8s.io/yaml is) read them back as the strings they are, as keys and
// as values, from both writers (a map, and a list yaml.v3 writes).
func TestYAML11ReadersGetStrings(t *testing.T) {
	words := []string{"y", "Y", "yes", "Yes", "YES", "n", "N", "no", "No", "NO", "on", "On", "ON", "off", "Off", "OFF", "<<"}
	m := map[string]any{}
	for _, w := range words {
		m[w] = w
	}
	for _, doc := range []any{m, []any{m}} {
		b, err := Marshal(doc)
		if err != nil {
			t.Fatal(err)
		}
		var back any
		if err := sigsyaml.Unmarshal(b, &back); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if l, ok := back.([]any); ok {
			back = l[0]
		}
		got, _ := back.(map[string]any)
		for _, w := range words {
			if got[w] != w {
				t.Errorf("%q read back as %v (%T)\n%s", w, got[w], got[w], b)
			}
		}
	}
}
