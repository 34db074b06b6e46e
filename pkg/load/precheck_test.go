package load

import (
	"bytes"
	"testing"

	"gopkg.in/yaml.v3"

	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/diag"
)

// duplicateFields, on CUE's syntax tree, finds the duplicate keys the
// YAML reader's walk finds, with the same messages and positions: files
// without anchors, merge keys or second documents are checked that way.
func TestDuplicateFieldsMatchYAMLWalk(t *testing.T) {
	for name, data := range map[string]string{
		"top.yaml":     "a: 1\nb: 2\na: 3\n",
		"nested.yaml":  "a:\n  b: 1\n  c: {d: 1, d: 2}\n  b: 3\n",
		"lists.yaml":   "l:\n  - {x: 1, x: 2}\n  - y: 1\n    y: 2\n  - [{z: 1, z: 1}]\n",
		"quoted.yaml":  "\"k\": 1\nk: 2\n'j': 3\nj: 4\n",
		"none.yaml":    "a: 1\nb: {c: 2}\n",
		"envgen.yaml":  string(envgen.Generate(30)) + "environments:\n  env-00001: {}\n",
		"leading.yaml": "---\na: 1\na: 2\n",
	} {
		if !astDuplicates([]byte(data), format(name)) {
			t.Errorf("%s: would be read by the YAML walk", name)
		}
		syntax, err := parseSyntax(name, []byte(data), format(name))
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		got, want := duplicateFields(name, syntax), yamlDuplicates(t, name, data)
		if got.Error() != want.Error() {
			t.Errorf("%s: from the syntax tree:\n%s\nfrom the YAML walk:\n%s", name, got.Error(), want.Error())
		}
		if name != "none.yaml" && len(want) == 0 {
			t.Errorf("%s: no duplicate found", name)
		}
	}
}

// yamlDuplicates is what the YAML walk reports of data's duplicate keys.
func yamlDuplicates(t *testing.T, name, data string) diag.List {
	t.Helper()
	var doc yaml.Node
	if err := yaml.NewDecoder(bytes.NewReader([]byte(data))).Decode(&doc); err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	var diags diag.List
	(&yamlWalker{name: name}).duplicates(&doc, nil, &diags)
	return diags
}

// What only the YAML walk can check sends a file there, as does JSON.
func TestNeedsYAMLWalk(t *testing.T) {
	if astDuplicates([]byte(`{"a": 1}`), "json") {
		t.Error("a JSON file's duplicate keys would be found on the syntax tree")
	}
	for data, want := range map[string]bool{
		"a: 1\n":                   false,
		"---\na: 1\n":              false,
		"a: &x {b: 1}\nc: *x\n":    true,
		"a: {<<: {b: 1}}\n":        true,
		"a: 1\n---\nb: 2\n":        true,
		"---\na: 1\n---\nb: 2\n":   true,
		"a: 1\n...\n":              true,
		"url: https://x?a=1&b=2\n": true, // could be an anchor: the walk decides
		"a: \"x --- y\"\n":         false,
	} {
		if got := needsYAMLWalk([]byte(data)); got != want {
			t.Errorf("needsYAMLWalk(%q) = %v, want %v", data, got, want)
		}
	}
}

// A carriage return is bare unless a line feed follows it (CRLF).
func TestBareCR(t *testing.T) {
	for in, want := range map[string]int{
		"": -1, "a\nb": -1, "a\r\nb\r\n": -1,
		"a\rb": 1, "a\r": 1, "a\r\n\r": 3, "\r\n\r\nx\ry\r": 5,
	} {
		if got := bareCR([]byte(in)); got != want {
			t.Errorf("bareCR(%q) = %d, want %d", in, got, want)
		}
	}
}
