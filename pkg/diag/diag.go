// Package diag holds apkgen's diagnostics: problems in the user's input,
// each with the position in their file, printed once each, in file order.
package diag

import (
	"fmt"
	"path/filepath"
	"sort"
	"strings"
)

// Pos is a position in an input file. Line and Col are 1-based; zero means
// unknown.
type Pos struct {
	File string
	Line int
	Col  int
}

func (p Pos) String() string {
	switch {
	case p.File == "":
		return ""
	case p.Line == 0:
		return p.File
	case p.Col == 0:
		return fmt.Sprintf("%s:%d", p.File, p.Line)
	}
	return fmt.Sprintf("%s:%d:%d", p.File, p.Line, p.Col)
}

// Severity tells errors from warnings.
type Severity int

const (
	Error Severity = iota
	Warning
)

// Diagnostic is one problem: where, which field, what.
type Diagnostic struct {
	Pos      Pos
	Path     string // dotted path of the field, e.g. environments.dev.namespace
	Message  string
	Severity Severity
}

func (d Diagnostic) String() string {
	var b strings.Builder
	if s := d.Pos.String(); s != "" {
		b.WriteString(s)
		b.WriteString(": ")
	}
	if d.Severity == Warning {
		b.WriteString("warning: ")
	}
	if d.Path != "" {
		b.WriteString(d.Path)
		b.WriteString(": ")
	}
	b.WriteString(d.Message)
	return b.String()
}

// List is a set of diagnostics; it is an error when it holds an error.
type List []Diagnostic

// Errorf adds an error at pos.
func (l *List) Errorf(pos Pos, path, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...)})
}

// Warnf adds a warning at pos.
func (l *List) Warnf(pos Pos, path, format string, args ...any) {
	*l = append(*l, Diagnostic{Pos: pos, Path: path, Message: fmt.Sprintf(format, args...), Severity: Warning})
}

// HasErrors reports whether any diagnostic is an error.
func (l List) HasErrors() bool {
	for _, d := range l {
		if d.Severity == Error {
			return true
		}
	}
	return false
}

// Sorted returns the diagnostics in file order, without repeats.
func (l List) Sorted() List {
	out := append(List(nil), l...)
	sort.SliceStable(out, func(i, j int) bool {
		a, b := out[i], out[j]
		if a.Pos.File != b.Pos.File {
			return a.Pos.File < b.Pos.File
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Col != b.Pos.Col {
			return a.Pos.Col < b.Pos.Col
		}
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		return a.Message < b.Message
	})
	// A diagnostic found by two checks shows once.
	seen := map[Diagnostic]bool{}
	dedup := out[:0]
	for _, d := range out {
		if !seen[d] {
			seen[d] = true
			dedup = append(dedup, d)
		}
	}
	return dedup
}

// Error makes a List usable as an error: one line per diagnostic.
func (l List) Error() string {
	lines := make([]string, 0, len(l))
	for _, d := range l.Sorted() {
		lines = append(lines, d.String())
	}
	return strings.Join(lines, "\n")
}

// RelPath makes a file name relative to the working directory when it is
// below it, so messages read the way the user typed the path.
func RelPath(name string) string {
	if !filepath.IsAbs(name) {
		return filepath.Clean(name)
	}
	wd, err := filepath.Abs(".")
	if err != nil {
		return name
	}
	if rel, err := filepath.Rel(wd, name); err == nil && !strings.HasPrefix(rel, "..") {
		return rel
	}
	return name
}
