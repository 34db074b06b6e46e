package load

import (
	"strings"
	"testing"
)

// TestCheckText: strings with control characters or noncharacters are
// refused, tabs and line breaks pass; nesting is refused past maxDepth.
func TestCheckText(t *testing.T) {
	nested := func(levels int) string {
		return "x: " + strings.Repeat("[", levels-1) + "1" + strings.Repeat("]", levels-1) + "\n"
	}
	for text, refused := range map[string]bool{
		`a: "x\u007fy"` + "\n":          true,
		`a: "x\u0085y"` + "\n":          true,
		`a: "x\ufffey"` + "\n":          true,
		`a: "x\u0001y"` + "\n":          true,
		`a: "tab\tand\nlines\r"` + "\n": false,
		`a: "é ✓ \u00a0"` + "\n":        false,
		nested(maxDepth):                false, // the file's mapping is a level
		nested(maxDepth + 1):            true,
	} {
		syntax, err := parseSyntax("envs.yaml", []byte(text), "yaml")
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got := checkText("envs.yaml", syntax); got.HasErrors() != refused {
			t.Errorf("%.40q: refused %v, want %v (%v)", text, got.HasErrors(), refused, got)
		}
	}
}

// TestCheckTextRawJSON: JSON may hold DEL and U+0085 raw, without an
// escape; they are refused as escaped ones are.
func TestCheckTextRawJSON(t *testing.T) {
	for _, text := range []string{"{\"a\": \"x\x7fy\"}", "{\"a\": \"x\u0085y\"}"} {
		syntax, err := parseSyntax("envs.json", []byte(text), "json")
		if err != nil {
			t.Fatalf("%q: %v", text, err)
		}
		if got := checkText("envs.json", syntax); !got.HasErrors() {
			t.Errorf("%q passed", text)
		}
	}
}

// A file checkText refuses is refused before load starts anything for the
// evaluations: no cache read, no OnEvaluate.
func TestCheckTextFirst(t *testing.T) {
	var opts Options
	calls := countEvaluate(&opts)
	text := "apiVersion: apkgen/v1alpha1\nkind: Environments\nenvironments: {dev: {pattern: \"x\\u0001\"}}\n"
	_, err := Parse("envs.yaml", []byte(text), opts)
	if err == nil || calls.Load() != 0 {
		t.Errorf("got %v, OnEvaluate called %d times; want an error and no call", err, calls.Load())
	}
}
