package load

import (
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"

	"github.com/apkgen/apkgen/pkg/diag"
)

// syntaxErrors turns a JSON or YAML syntax error into diagnostics. CUE's
// readers word them for developers: JSON's as "invalid JSON for file" with
// the reason wrapped inside, YAML's as a plain "name:LINE: message" whose
// line is where the enclosing block starts, and without a column.
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
			msg = strings.TrimSpace(strings.TrimPrefix(e.Error(), name+":"))
			// The parser gives no line for a mistake on the first line, nor
			// for some others (a control character): the search starts at 1.
			reported := 1
			if l, rest, ok := strings.Cut(msg, ":"); ok {
				if n, err := strconv.Atoi(l); err == nil {
					msg, reported = strings.TrimSpace(rest), n
				}
			}
			if at, ok := nbspIndent(name, data, reported); ok {
				// A YAML parser sees text there, and fails lines later.
				out = append(out, diag.Diagnostic{Pos: at, Message: "invalid YAML: a non-breaking space (U+00A0) in the indentation; indent with spaces"})
				continue
			}
			if pos = anchorPos(name, data, msg); pos.Line == 0 {
				var hint string
				pos, hint = yamlErrorPos(name, data, msg, reported)
				msg += hint
			}
			msg = "invalid YAML: " + msg
			switch {
			case strings.HasSuffix(msg, "mapping values are not allowed in this context") && secondColon(data, pos.Line):
				msg += " (a value holding ': ' must be quoted)"
			case strings.HasSuffix(msg, "did not find expected key"), strings.HasSuffix(msg, "mapping values are not allowed in this context"):
				msg += " (check the indentation)"
			case strings.HasSuffix(msg, "could not find expected ':'") && missingSpace(data, pos.Line):
				msg += " (put a space after ':', as in key: value)"
			}
		default:
			return r.report(err, &scope{})
		}
		out = append(out, diag.Diagnostic{Pos: pos, Message: msg})
	}
	return out
}

// nbspIndent is the first non-breaking space in the indentation of a
// line up to the one the parser reported (or the next: it counts some from
// 0); one further down is not what failed.
func nbspIndent(name string, data []byte, reported int) (diag.Pos, bool) {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if i > reported {
			break
		}
		indent := bytes.TrimLeft(line, " \u00a0")
		if at := bytes.Index(line[:len(line)-len(indent)], []byte("\u00a0")); at >= 0 {
			return diag.Pos{File: name, Line: i + 1, Col: at + 1}, true
		}
	}
	return diag.Pos{}, false
}

// missingSpace reports whether line n (from 1) has a key followed by ':'
// and no space (namespace:apk-dev), which YAML reads as one scalar.
func missingSpace(data []byte, n int) bool {
	return keyWithoutSpace.Match(lineAt(data, n))
}

// secondColon reports whether line n (from 1) has a key and a value that
// holds ': ' (namespace: apk-dev: x).
func secondColon(data []byte, n int) bool {
	return bytes.Count(lineAt(data, n), []byte(": ")) >= 2
}

// lineAt is line n (from 1) of data, nil when there is none.
func lineAt(data []byte, n int) []byte {
	for i, line := range bytes.Split(data, []byte("\n")) {
		if i == n-1 {
			return line
		}
	}
	return nil
}

var keyWithoutSpace = regexp.MustCompile(`^\s*(- )?[A-Za-z0-9_.-]+:[^\s/:]`)

// errorScanBytes caps the bytes yamlErrorPos parses, all prefixes
// together: parsing is linear in the bytes, so the search costs a few
// parses of the file at most, whatever its size.
const errorScanBytes = 4 << 20

// yamlErrorPos finds where a YAML syntax error is. The YAML parser reports
// the line where the enclosing block starts (or the next one), often lines
// above the mistake, and no column. The mistake is on the first line from
// there whose prefix of the file fails the same way, at the first byte of
// that line whose prefix fails so (found by bisection: a prefix that fails
// keeps failing as it grows within the line).
//
// A flow collection ({...} or [...]) fails that way only where it should
// have ended, and any prefix ending inside it fails alike: a bracket left
// open is the mistake, and otherwise the prefixes are parsed with their
// open brackets closed, which fails only from the mistake on (a missing
// comma, say).
//
// reported is the parser's line, kept (with its first column) when the
// search finds nothing within its budget. hint, when not empty, says what
// is at the position (a bracket or a quote never closed).
func yamlErrorPos(name string, data []byte, msg string, reported int) (pos diag.Pos, hint string) {
	lines := bytes.SplitAfter(data, []byte("\n"))
	reported = min(max(reported, 1), len(lines))
	// The search starts a line above the parser's: it counts the lines of
	// some errors from 0.
	first := max(reported-1, 1)
	start := 0 // of line k below
	for _, l := range lines[:first-1] {
		start += len(l)
	}
	closer := flowCloser(msg)
	if closer != 0 {
		if at := lastOpen(data, closer); at >= 0 {
			return offsetPos(name, data, at), fmt.Sprintf(" (this '%c' is never closed)", data[at])
		}
	}
	budget := errorScanBytes
	fails := func(size int) bool {
		prefix := data[:size:size]
		if closer != 0 {
			prefix = closeBrackets(prefix)
		}
		budget -= len(prefix)
		_, err := extractYAML(name, prefix)
		return err != nil && strings.HasPrefix(err.Error(), name+":") && strings.HasSuffix(err.Error(), ": "+msg)
	}
	for k := first; k <= len(lines) && budget > 0; k++ {
		line := lines[k-1]
		if !fails(start + len(line)) {
			start += len(line)
			continue
		}
		// The shortest prefix of the line that fails: lo does not, hi does.
		lo, hi := 0, len(line)
		for hi-lo > 1 && budget > 0 {
			mid := (lo + hi) / 2
			if fails(start + mid) {
				hi = mid
			} else {
				lo = mid
			}
		}
		if budget <= 0 {
			break
		}
		if hi == 0 { // the file's end, after its last newline
			return diag.Pos{File: name, Line: k, Col: 1}, ""
		}
		if c := line[hi-1]; (c == '"' || c == '\'') && msg == "found unexpected end of stream" {
			hint = " (this quote is never closed)"
		}
		return diag.Pos{File: name, Line: k, Col: hi}, hint
	}
	return diag.Pos{File: name, Line: reported, Col: firstColumn(lines[reported-1])}, ""
}

// flowCloser is the bracket a flow collection's error expects, else 0.
func flowCloser(msg string) byte {
	switch {
	case strings.HasSuffix(msg, "expected ',' or '}'"):
		return '}'
	case strings.HasSuffix(msg, "expected ',' or ']'"):
		return ']'
	}
	return 0
}

// openBrackets lists the offsets in b of the flow brackets still open at
// its end, outermost first, outside quotes and comments. A bracket or
// quote opens only where a YAML token can start (so neither the apostrophe
// of "don't" nor the bracket of "a[0]" does), and quotes and comments end
// with their line: an approximation of YAML's grammar that is enough to
// point at a bracket.
func openBrackets(b []byte) []int {
	var open []int
	var quote byte
	for i := 0; i < len(b); i++ {
		c := b[i]
		atToken := i == 0 || bytes.IndexByte([]byte(" \t\n[{,:"), b[i-1]) >= 0
		switch {
		case c == '\n':
			quote = 0
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case (c == '"' || c == '\'') && atToken:
			quote = c
		case c == '#' && atToken:
			if j := bytes.IndexByte(b[i:], '\n'); j >= 0 {
				i += j - 1 // the newline is next
			} else {
				i = len(b)
			}
		case (c == '{' || c == '[') && atToken:
			open = append(open, i)
		case (c == '}' || c == ']') && len(open) > 0:
			open = open[:len(open)-1]
		}
	}
	return open
}

// closerOf is the bracket that closes a flow collection's opening one.
var closerOf = map[byte]byte{'{': '}', '[': ']'}

// lastOpen is the offset of the innermost bracket left open in b that
// closer closes, else -1.
func lastOpen(b []byte, closer byte) int {
	open := openBrackets(b)
	for j := len(open) - 1; j >= 0; j-- {
		if closerOf[b[open[j]]] == closer {
			return open[j]
		}
	}
	return -1
}

// closeBrackets appends to prefix the brackets that close what it left
// open.
func closeBrackets(prefix []byte) []byte {
	open := openBrackets(prefix)
	for j := len(open) - 1; j >= 0; j-- {
		prefix = append(prefix, closerOf[prefix[open[j]]])
	}
	return prefix
}

// firstColumn is the column of a line's first character that is not a
// space, 1 for a blank line.
func firstColumn(line []byte) int {
	return len(line) - len(bytes.TrimLeft(line, " ")) + 1
}

// anchorPos finds the alias of an "unknown anchor" error, which the YAML
// parser reports without a line: the first *name in the file.
func anchorPos(name string, data []byte, msg string) diag.Pos {
	anchor, prefixed := strings.CutPrefix(msg, "unknown anchor '")
	anchor, suffixed := strings.CutSuffix(anchor, "' referenced")
	if !prefixed || !suffixed {
		return diag.Pos{File: name}
	}
	alias := []byte("*" + anchor)
	for off := 0; ; {
		i := bytes.Index(data[off:], alias)
		if i < 0 {
			return diag.Pos{File: name}
		}
		end := off + i + len(alias)
		if end == len(data) || bytes.IndexByte([]byte(" \t\r\n,]}"), data[end]) >= 0 {
			return offsetPos(name, data, off+i)
		}
		off = end
	}
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
