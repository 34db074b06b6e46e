package load

import (
	"bytes"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	cueyaml "cuelang.org/go/encoding/yaml"

	"github.com/apkgen/apkgen/pkg/diag"
)

// syntaxErrors turns a JSON or YAML syntax error into diagnostics. CUE's
// readers word them for developers: JSON's as "invalid JSON for file" with
// the reason wrapped inside, YAML's as a plain "name:LINE: message" whose
// line is where the enclosing block starts.
func syntaxErrors(name string, data []byte, err error) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		r := &reporter{name: name}
		pos := r.inFile(e)
		switch {
		case strings.HasPrefix(msg, "invalid JSON for file"):
			msg = "invalid JSON"
			if inner := errors.Unwrap(e); inner != nil {
				msg += ": " + inner.Error()
			}
		case msg == "":
			msg = strings.TrimPrefix(e.Error(), name+":")
			if l, rest, ok := strings.Cut(msg, ":"); ok {
				if n, err := strconv.Atoi(l); err == nil {
					msg = strings.TrimSpace(rest)
					pos = diag.Pos{File: name, Line: yamlErrorLine(name, data, msg, n)}
				}
			}
			msg = "invalid YAML: " + strings.TrimSpace(msg)
			if strings.HasSuffix(msg, "did not find expected key") {
				msg += " (check the indentation)"
			}
		default:
			return r.report(err, &scope{})
		}
		out = append(out, diag.Diagnostic{Pos: pos, Message: msg})
	}
	return out
}

// errorScanBytes caps the bytes yamlErrorLine parses, all prefixes
// together: parsing is linear in the bytes, so the search costs a few
// parses of the file at most, whatever its size.
const errorScanBytes = 4 << 20

// yamlErrorLine finds the line of a YAML syntax error. The YAML parser
// reports the line where the enclosing block starts, often lines above the
// mistake; the mistake is on the first line from there whose prefix of the
// file fails the same way. reported is the parser's line, kept when none
// does within the budget.
func yamlErrorLine(name string, data []byte, msg string, reported int) int {
	lines := bytes.SplitAfter(data, []byte("\n"))
	size := 0
	for _, l := range lines[:min(max(reported-1, 0), len(lines))] {
		size += len(l)
	}
	budget := errorScanBytes
	for k := max(reported, 1); k <= len(lines); k++ {
		size += len(lines[k-1])
		if budget -= size; budget < 0 {
			break
		}
		_, err := cueyaml.Extract(name, data[:size])
		if err != nil && strings.HasPrefix(err.Error(), name+":") && strings.HasSuffix(err.Error(), ": "+msg) {
			return k
		}
	}
	return reported
}

// checkTop rejects a document that is not a mapping: a list or a scalar at
// the top reads as a file with no fields, and would pass.
func checkTop(name string, doc cue.Value) diag.List {
	k := doc.IncompleteKind()
	if k == cue.StructKind || k == cue.BottomKind {
		return nil
	}
	pos := fromToken(name, doc.Pos())
	if pos.Line == 0 {
		pos = diag.Pos{File: name, Line: 1, Col: 1}
	}
	what := k.String()
	switch k {
	case cue.ListKind:
		what = "a list"
	case cue.StringKind, cue.IntKind, cue.FloatKind, cue.NumberKind, cue.BoolKind:
		what = "a single value"
	}
	var diags diag.List
	diags.Errorf(pos, "", "the environments file must be a mapping of apiVersion, kind, gitops, clusters and environments, not %s", what)
	return diags
}
