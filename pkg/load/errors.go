package load

import (
	"fmt"
	"slices"
	"strings"

	"cuelang.org/go/cue"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/pkg/diag"
)

// rebase maps an error path inside a pattern evaluation (in.x.y) back to
// the path in the user's file (environments.<env>.x.y).
type rebase struct {
	from     string
	to       []string
	fallback cue.Value
}

// apply rewrites a path such as #Patterns."id".in.x into environments.<env>.x.
func (rb *rebase) apply(path []string) []string {
	out := append([]string(nil), rb.to...)
	if i := slices.Index(path, rb.from); i >= 0 {
		out = append(out, path[i+1:]...)
	}
	return out
}

// toDiag turns CUE errors into diagnostics positioned in the file name,
// rewording the messages CUE words for its own developers.
func toDiag(name string, doc cue.Value, err error, rb *rebase) diag.List {
	var out diag.List
	for _, e := range cueerrors.Errors(err) {
		path := unquote(e.Path())
		if rb != nil {
			path = rb.apply(path)
		} else if len(path) > 0 && path[0] == "#File" {
			// A rule of the file's schema itself (a conditionally required
			// field): its path inside #File is the path in the file.
			path = path[1:]
		}
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		var pos diag.Pos
		switch {
		case strings.HasPrefix(msg, "field not allowed"):
			msg = fmt.Sprintf("unknown field %q", last(path))
			pos = inFile(name, e)
		case isMissing(msg):
			// The field is absent: point at the mapping that lacks it.
			msg = fmt.Sprintf("missing required field %q", last(path))
			pos = lookupPos(name, doc, path[:max(len(path)-1, 0)])
		default:
			pos = inFile(name, e)
		}
		if pos.Line == 0 {
			pos = lookupPos(name, doc, path)
		}
		if pos.Line == 0 && rb != nil {
			pos = fromToken(name, rb.fallback.Pos())
		}
		out = append(out, diag.Diagnostic{Pos: pos, Path: strings.Join(path, "."), Message: msg})
	}
	return out
}

func isMissing(msg string) bool {
	return strings.HasPrefix(msg, "incomplete value") ||
		strings.Contains(msg, "field is required but not present") ||
		strings.HasPrefix(msg, "non-concrete value")
}

// inFile picks the error's position that lies in the user's file.
func inFile(name string, e cueerrors.Error) diag.Pos {
	for _, p := range append([]token.Pos{e.Position()}, e.InputPositions()...) {
		if p.IsValid() && p.Filename() == name {
			return fromToken(name, p)
		}
	}
	return diag.Pos{File: name}
}

// lookupPos finds the position of the nearest existing field on path in the
// document as written.
func lookupPos(name string, doc cue.Value, path []string) diag.Pos {
	if !doc.Exists() {
		return diag.Pos{File: name}
	}
	for n := len(path); n >= 0; n-- {
		sels := make([]cue.Selector, 0, n)
		for _, p := range path[:n] {
			sels = append(sels, cue.Str(p))
		}
		v := doc.LookupPath(cue.MakePath(sels...))
		if v.Exists() {
			if p := fromToken(name, v.Pos()); p.Line > 0 {
				return p
			}
		}
	}
	return diag.Pos{File: name}
}

func fromToken(name string, p token.Pos) diag.Pos {
	if !p.IsValid() || p.Filename() != name {
		return diag.Pos{File: name}
	}
	return diag.Pos{File: name, Line: p.Line(), Col: p.Column()}
}

func unquote(path []string) []string {
	out := make([]string, len(path))
	for i, p := range path {
		out[i] = strings.Trim(p, `"`)
	}
	return out
}

func last(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return path[len(path)-1]
}
