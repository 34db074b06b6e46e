package schema

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
	"sigs.k8s.io/yaml"
)

// TestJSONSchema: the schema generated for editors accepts every example and
// rejects the mistakes it can see (structure, enums, formats).
func TestJSONSchema(t *testing.T) {
	raw, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(raw))
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	if err := c.AddResource("apkgen.schema.json", doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile("apkgen.schema.json")
	if err != nil {
		t.Fatalf("the generated schema does not compile: %v", err)
	}
	examples, _ := filepath.Glob("../examples/*.yaml")
	if len(examples) == 0 {
		t.Fatal("no examples")
	}
	for _, ex := range examples {
		if err := sch.Validate(load(t, mustRead(t, ex))); err != nil {
			t.Errorf("%s: rejected: %v", ex, err)
		}
	}
	base := mustRead(t, "../examples/mixed.yaml")
	bad := map[string][2]string{
		"unknown top-level field": {"kind: Environments\n", "kind: Environments\nkinds: x\n"},
		"unknown engine":          {"engine: flux", "engine: fluxx"},
		"wrong apiVersion":        {"apkgen/v1alpha1", "apkgen/v2"},
		"typo in an environment":  {"    namespace: apk-dev\n", "    namspace: apk-dev\n"},
		"unknown pattern":         {"pattern: cp-dp-k8s", "pattern: cp-dp-k9s"},
		"missing controlPlane":    {"      credentialsSecret: apim-admin\n", "      credentialsSecrets: apim-admin\n"},
		"port as text":            {"      gatewayEnvironment: Default_APK\n", "      gatewayEnvironment: Default_APK\n      port: high\n"},
		"bad repository URL":      {"apk: {version: 1.3.0-1}", "apk: {version: 1.3.0-1, repository: ftp://x}"},
		"uppercase hostname":      {"gateway: dev.gw.example.com", "gateway: Dev.gw.example.com"},
		"values of no release":    {"    values:\n      apk:\n", "    values:\n      akp:\n"},
		"values not an object":    {"    values:\n      apk:\n        wso2:", "    values:\n      apk: 3\n      apim:\n        wso2:"},
		// Fields with a default keep their format.
		"absolute gitops path":  {"  path: deploy\n", "  path: /srv/deploy\n"},
		"revision with a space": {"  revision: main\n", "  revision: main branch\n"},
		"interval in words":     {"  revision: main\n", "  revision: main\n  interval: 10 minutes\n"},
		"gateway environment":   {"      gatewayEnvironment: Default_APK\n", "      gatewayEnvironment: Default APK\n"},
		"port out of range":     {"      gatewayEnvironment: Default_APK\n", "      gatewayEnvironment: Default_APK\n      port: 70000\n"},
		"port not whole":        {"      gatewayEnvironment: Default_APK\n", "      gatewayEnvironment: Default_APK\n      port: 9443.5\n"},
	}
	for name, edit := range bad {
		if !strings.Contains(base, edit[0]) {
			t.Fatalf("%s: %q not in mixed.yaml", name, edit[0])
		}
		if err := sch.Validate(load(t, strings.Replace(base, edit[0], edit[1], 1))); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

func load(t *testing.T, text string) any {
	t.Helper()
	j, err := yaml.YAMLToJSON([]byte(text))
	if err != nil {
		t.Fatal(err)
	}
	v, err := jsonschema.UnmarshalJSON(bytes.NewReader(j))
	if err != nil {
		t.Fatal(err)
	}
	return v
}

func mustRead(t *testing.T, name string) string {
	t.Helper()
	b, err := os.ReadFile(name)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

var update = flag.Bool("update", false, "rewrite ../apkgen.schema.json")

// TestCommittedJSONSchema: the JSON Schema the examples point editors at
// (apkgen.schema.json at the repository root) is the generated one.
func TestCommittedJSONSchema(t *testing.T) {
	want, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	const file = "../apkgen.schema.json"
	if *update {
		if err := os.WriteFile(file, want, 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	got, err := os.ReadFile(file)
	if err != nil || !bytes.Equal(got, want) {
		t.Fatalf("%s is not the generated schema (run go test ./schema/ -update): %v", file, err)
	}
}

// The descriptions an editor shows are for users: none is a definition's
// note for apkgen's developers ("#File is ..."), and each pattern's
// environment says which pattern it is.
func TestJSONSchemaDescriptions(t *testing.T) {
	b, err := JSONSchema()
	if err != nil {
		t.Fatal(err)
	}
	var doc any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	var patterns []string
	var walk func(n any)
	walk = func(n any) {
		switch x := n.(type) {
		case []any:
			for _, v := range x {
				walk(v)
			}
		case map[string]any:
			if d, ok := x["description"].(string); ok {
				if strings.HasPrefix(d, "#") {
					t.Errorf("a developer's note as a description: %q", d)
				}
				if p, ok := strings.CutPrefix(d, "An environment of pattern "); ok {
					patterns = append(patterns, strings.Fields(p)[0])
				}
			}
			for _, v := range x {
				walk(v)
			}
		}
	}
	walk(doc)
	if len(patterns) != 3 {
		t.Errorf("pattern descriptions: %v, want one per pattern", patterns)
	}
}
