package load

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"unicode/utf8"

	"cuelang.org/go/cue/ast"
	"gopkg.in/yaml.v3"

	"github.com/apkgen/apkgen/pkg/diag"
)

// maxExpandedNodes bounds what YAML aliases may expand to: a real
// environments file has a few hundred nodes; an alias bomb has billions.
const maxExpandedNodes = 100_000

// precheck finds, before CUE reads the file, what its YAML reader would hide
// or choke on: an empty file, bytes that are not UTF-8, a carriage return
// alone (a line break to YAML, which CUE's YAML reader panics on), tabs in
// indentation, several documents, duplicate keys (never last-wins) and
// alias bombs. With onTree (astDuplicates), the file can hold no anchor,
// merge key or second document, and its duplicate keys are left to
// duplicateFields, on CUE's syntax tree.
func precheck(name string, data []byte, format string, onTree bool) diag.List {
	var diags diag.List
	if !utf8.Valid(data) {
		off := 0
		for off < len(data) {
			r, size := utf8.DecodeRune(data[off:])
			if r == utf8.RuneError && size <= 1 {
				break
			}
			off += size
		}
		diags.Errorf(offsetPos(name, data, off), "", "the file is not UTF-8 text (invalid byte 0x%02x)", data[off])
		return diags
	}
	if isBlank(data, format) {
		diags.Errorf(diag.Pos{File: name, Line: 1, Col: 1}, "",
			"the file is empty; start from `apkgen init --pattern dp-per-namespace`")
		return diags
	}
	if format == "cue" {
		return nil
	}
	if format == "yaml" {
		if at := bareCR(data); at >= 0 {
			// YAML reads it as a line break, CUE's positions do not.
			diags.Errorf(offsetPos(name, data, at), "",
				"a carriage return without a line feed (old Mac line endings); save the file with LF or CRLF line endings")
			return diags
		}
		for i, line := range strings.Split(string(data), "\n") {
			indent := line[:len(line)-len(strings.TrimLeft(line, " \t"))]
			if c := strings.IndexByte(indent, '\t'); c >= 0 {
				diags.Errorf(diag.Pos{File: name, Line: i + 1, Col: c + 1}, "",
					"tab character in indentation; YAML indents with spaces")
			}
		}
		if len(diags) > 0 {
			return diags
		}
	}
	if onTree {
		return nil
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	var doc yaml.Node
	if err := dec.Decode(&doc); err != nil {
		return nil // a syntax error: CUE's reader reports it with its position
	}
	var next yaml.Node
	if err := dec.Decode(&next); err == nil {
		diags.Errorf(diag.Pos{File: name, Line: next.Line, Col: next.Column}, "",
			"a second YAML document; an environments file holds exactly one")
	} else if !errors.Is(err, io.EOF) {
		return nil
	}
	w := &yamlWalker{name: name, sizes: map[*yaml.Node]int{}}
	if w.size(&doc) > maxExpandedNodes {
		diags.Errorf(w.bomb, "", "YAML aliases expand to more than %d nodes; write the values out or use fewer aliases", maxExpandedNodes)
	}
	w.duplicates(&doc, nil, &diags)
	return diags
}

// bareCR is the offset of the first carriage return not followed by a line
// feed, -1 if none.
func bareCR(data []byte) int {
	for at := 0; ; at++ {
		i := bytes.IndexByte(data[at:], '\r')
		if i < 0 {
			return -1
		}
		if at += i; at+1 == len(data) || data[at+1] != '\n' {
			return at
		}
	}
}

// astDuplicates reports whether the file's duplicate keys are found on
// the syntax tree CUE's reader makes (duplicateFields), which saves
// reading the file twice, rather than by precheck's own YAML reader: for
// YAML (JSON keys' columns differ by one between the two readers) without
// what only that reader's walk checks (needsYAMLWalk).
func astDuplicates(data []byte, format string) bool {
	return format == "yaml" && !needsYAMLWalk(data)
}

// needsYAMLWalk reports whether precheck must read the file with a YAML
// reader of its own: when it may hold an anchor ('&'), a merge key ("<<")
// or a second document (a document marker past the first line).
func needsYAMLWalk(data []byte) bool {
	if bytes.Contains(data, []byte("&")) || bytes.Contains(data, []byte("<<")) {
		return true
	}
	_, rest, _ := bytes.Cut(data, []byte("\n"))
	return bytes.Contains(rest, []byte("\n---")) || bytes.HasPrefix(rest, []byte("---")) ||
		bytes.Contains(data, []byte("\n...")) || bytes.HasPrefix(data, []byte("..."))
}

// duplicateFields reports every key that appears twice in one mapping of
// a YAML file, from its syntax tree, as yamlWalker.duplicates does from
// the YAML reader's nodes.
func duplicateFields(name string, f *ast.File) diag.List {
	var diags diag.List
	var walk func(n ast.Node, path []string)
	walk = func(n ast.Node, path []string) {
		switch n := n.(type) {
		case *ast.EmbedDecl: // a top that is not a mapping
			walk(n.Expr, path)
		case *ast.ListLit:
			for i, e := range n.Elts {
				walk(e, append(slices.Clone(path), fmt.Sprint(i)))
			}
		case *ast.StructLit:
			seen := map[string]diag.Pos{}
			for _, d := range n.Elts {
				field, ok := d.(*ast.Field)
				if !ok {
					walk(d, path)
					continue
				}
				key, _, err := ast.LabelName(field.Label)
				if err != nil {
					continue
				}
				p := append(slices.Clone(path), key)
				at := field.Label.Pos()
				pos := diag.Pos{File: name, Line: at.Line(), Col: at.Column()}
				if first, ok := seen[key]; ok {
					duplicateKey(&diags, pos, p, key, first)
				} else {
					seen[key] = pos
				}
				walk(field.Value, p)
			}
		}
	}
	walk(&ast.StructLit{Elts: f.Decls}, nil)
	return diags
}

// duplicateKey reports key, at pos under path, as a repeat of the one at
// first: the message of both duplicate-key walks.
func duplicateKey(diags *diag.List, pos diag.Pos, path []string, key string, first diag.Pos) {
	diags.Errorf(pos, joinPath(path),
		"duplicate key %q (first at line %d, column %d); a key may appear only once", key, first.Line, first.Col)
}

func isBlank(data []byte, format string) bool {
	for _, line := range strings.Split(string(data), "\n") {
		line = strings.TrimSpace(line)
		if line == "" || (format != "json" && strings.HasPrefix(line, "#")) ||
			(format == "cue" && strings.HasPrefix(line, "//")) || line == "---" {
			continue
		}
		return false
	}
	return true
}

func offsetPos(name string, data []byte, off int) diag.Pos {
	before := data[:off]
	line := bytes.Count(before, []byte("\n")) + 1
	col := off - bytes.LastIndexByte(before, '\n')
	return diag.Pos{File: name, Line: line, Col: col}
}

type yamlWalker struct {
	name  string
	sizes map[*yaml.Node]int
	bomb  diag.Pos
}

// size is the number of nodes n expands to, aliases expanded.
func (w *yamlWalker) size(n *yaml.Node) int {
	if s, ok := w.sizes[n]; ok {
		return s
	}
	w.sizes[n] = 1 // a cycle counts once
	s := 1
	if n.Kind == yaml.AliasNode && n.Alias != nil {
		s += w.size(n.Alias)
	}
	for _, c := range n.Content {
		s += w.size(c)
		if s > maxExpandedNodes {
			break
		}
	}
	if s > maxExpandedNodes && w.bomb.Line == 0 {
		w.bomb = diag.Pos{File: w.name, Line: n.Line, Col: n.Column}
	}
	w.sizes[n] = s
	return s
}

// duplicates reports every key that appears twice in one mapping.
func (w *yamlWalker) duplicates(n *yaml.Node, path []string, diags *diag.List) {
	switch n.Kind {
	case yaml.DocumentNode, yaml.SequenceNode:
		for i, c := range n.Content {
			p := path
			if n.Kind == yaml.SequenceNode {
				p = append(append([]string(nil), path...), fmt.Sprint(i))
			}
			w.duplicates(c, p, diags)
		}
	case yaml.MappingNode:
		seen := map[string]*yaml.Node{}
		for i := 0; i+1 < len(n.Content); i += 2 {
			k, v := n.Content[i], n.Content[i+1]
			p := append(append([]string(nil), path...), k.Value)
			if first, ok := seen[k.Value]; ok {
				duplicateKey(diags, diag.Pos{File: w.name, Line: k.Line, Col: k.Column}, p, k.Value,
					diag.Pos{Line: first.Line, Col: first.Column})
			} else {
				seen[k.Value] = k
			}
			w.duplicates(v, p, diags)
		}
	}
}
