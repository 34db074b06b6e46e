package load

import (
	"errors"
	"strings"
	"testing"

	"github.com/apkgen/apkgen/pkg/diag"
)

// syntaxBase is a valid file; each case of TestYAMLSyntaxErrorPositions
// replaces one of its lines.
const syntaxBase = `apiVersion: apkgen/v1alpha1
kind: Environments
clusters:
  nonprod: {}
environments:
  dev:
    pattern: dp-per-namespace
    cluster: nonprod
    namespace: apk-dev
    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}
`

// A YAML syntax error is reported at the line and column of the mistake,
// not at the line where the YAML parser's enclosing block starts (which
// is all the parser says), with a hint where a bracket or quote is left
// open.
func TestYAMLSyntaxErrorPositions(t *testing.T) {
	for _, tc := range []struct {
		name, old, new, want string
	}{
		{"value indented under a scalar", "    cluster: nonprod", "      cluster: nonprod",
			"envs.yaml:8:14: invalid YAML: mapping values are not allowed in this context (check the indentation)"},
		{"second colon", "    namespace: apk-dev", "    namespace: apk-dev: x",
			"envs.yaml:9:23: invalid YAML: mapping values are not allowed in this context (a value holding ': ' must be quoted)"},
		{"double quote never closed", "    namespace: apk-dev", `    namespace: "apk-dev`,
			"envs.yaml:9:16: invalid YAML: found unexpected end of stream (this quote is never closed)"},
		{"single quote never closed", "    namespace: apk-dev", `    namespace: 'apk-dev`,
			"envs.yaml:9:16: invalid YAML: found unexpected end of stream (this quote is never closed)"},
		{"reserved character", "    namespace: apk-dev", "    namespace: @apk-dev",
			"envs.yaml:9:16: invalid YAML: found character that cannot start any token"},
		{"brace never closed", "    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}",
			"    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com\n  test: {}",
			"envs.yaml:10:16: invalid YAML: did not find expected ',' or '}' (this '{' is never closed)"},
		{"bracket never closed", "    namespace: apk-dev", "    namespace: [apk-dev",
			"envs.yaml:9:16: invalid YAML: did not find expected ',' or ']' (this '[' is never closed)"},
		{"brace over lines never closed", "  nonprod: {}", "  nonprod: {\n    server: https://a.example.com,\n    certManager: {install: false}",
			"envs.yaml:4:12: invalid YAML: did not find expected ',' or '}' (this '{' is never closed)"},
		{"missing comma", "    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}",
			"    hostnames: {gateway: {a: b} system: dev.apk.example.com}",
			"envs.yaml:10:33: invalid YAML: did not find expected ',' or '}'"},
		{"key indented less", "  nonprod: {}", "  nonprod: {}\n bad: 1",
			"envs.yaml:5:2: invalid YAML: did not find expected key (check the indentation)"},
		{"key indented more", "    namespace: apk-dev", "    namespace: apk-dev\n     bad: 1",
			"envs.yaml:10:9: invalid YAML: mapping values are not allowed in this context (check the indentation)"},
		{"list item in a mapping", "    namespace: apk-dev", "    namespace: apk-dev\n    - x",
			"envs.yaml:10:5: invalid YAML: did not find expected key (check the indentation)"},
		{"unknown anchor", "    namespace: apk-dev", "    namespace: *nope",
			"envs.yaml:9:16: invalid YAML: unknown anchor 'nope' referenced"},
		{"quote never closed on the last line", "    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}",
			`    hostnames: "dev`,
			"envs.yaml:10:16: invalid YAML: found unexpected end of stream (this quote is never closed)"},
		{"bracket never closed on the last line", "    hostnames: {gateway: dev.gw.example.com, system: dev.apk.example.com}",
			"    hostnames: [dev",
			"envs.yaml:10:16: invalid YAML: did not find expected ',' or ']' (this '[' is never closed)"},
		{"brackets in plain scalars", "    namespace: apk-dev", "    namespace: a[0]b{\n    hostnames: {gateway: x system: y}",
			"envs.yaml:10:35: invalid YAML: did not find expected ',' or '}'"},
		{"mistake on the first line", "apiVersion: apkgen/v1alpha1", "apiVersion: {a: {} b: 1}",
			"envs.yaml:1:20: invalid YAML: did not find expected ',' or '}'"},
		{"control character", "    namespace: apk-dev", "    namespace: apk\x01dev",
			"envs.yaml:9:19: invalid YAML: control characters are not allowed"},
		{"apostrophe and hash in a comment", "    namespace: apk-dev", "    namespace: apk-dev # don't {\n    - x",
			"envs.yaml:10:5: invalid YAML: did not find expected key (check the indentation)"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if !strings.Contains(syntaxBase, tc.old+"\n") {
				t.Fatalf("the base has no line %q", tc.old)
			}
			text := strings.Replace(syntaxBase, tc.old+"\n", tc.new+"\n", 1)
			eqDiags(t, parseDiags(t, text), []string{tc.want})
		})
	}
}

// When the search would parse more than errorScanBytes, the parser's line
// is kept, at its first column: a mistake at the end of a long file, with
// the parser's line at its start.
func TestYAMLErrorPosBudget(t *testing.T) {
	line := "k0000000: {a: 1}\n"
	var b strings.Builder
	for b.Len() < errorScanBytes/16 {
		b.WriteString(line)
	}
	b.WriteString("   bad: [\n")
	data := []byte(b.String())
	msg := "did not find expected key"
	pos, hint := yamlErrorPos("big.yaml", data, msg, 1)
	if pos.Line != 1 || pos.Col != 1 || hint != "" {
		t.Errorf("got %v %q, want the parser's line 1 at column 1", pos, hint)
	}
}

// CUE's YAML reader panics on some text (a carriage return alone, which
// precheck refuses first); apkgen reports it at the file instead of
// crashing, whether it reads the file or searches an error's position.
func TestYAMLReaderPanicIsAnError(t *testing.T) {
	data := []byte("apiVersion: apkgen/v1alpha1\rkind: Environments\rclusters: {a: {}}\r")
	var p readerPanic
	if _, err := extractYAML("envs.yaml", data); !errors.As(err, &p) {
		t.Fatalf("extractYAML = %v, want a readerPanic (has CUE's reader stopped panicking on a bare CR?)", err)
	}
	_, err := parseSyntax("envs.yaml", data, "yaml")
	var l diag.List
	if !errors.As(err, &l) || len(l) != 1 || l[0].Pos != (diag.Pos{File: "envs.yaml", Line: 1, Col: 1}) ||
		!strings.HasPrefix(l[0].Message, "invalid YAML: CUE's YAML reader failed on this file (") {
		t.Errorf("parseSyntax = %v, want one error at envs.yaml:1:1", err)
	}
	// The error search re-reads prefixes with the same reader.
	if pos, _ := yamlErrorPos("envs.yaml", []byte("\r\r\r\r\r\r\r\r{},]&)"), "did not find expected node content", 1); pos.Line == 0 {
		t.Errorf("yamlErrorPos = %v", pos)
	}
}
