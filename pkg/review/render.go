package review

import (
	"encoding/json"
	"fmt"
	"html"
	"io"
	"strings"

	"github.com/aymanbagabas/go-udiff"

	"github.com/apkgen/apkgen/pkg/tree"
)

// ANSI colours, used only when the caller asks for them.
const (
	red    = "\x1b[31m"
	green  = "\x1b[32m"
	yellow = "\x1b[33m"
	cyan   = "\x1b[36m"
	bold   = "\x1b[1m"
	reset  = "\x1b[0m"
)

func paint(color bool, code, s string) string {
	if !color || s == "" {
		return s
	}
	return code + s + reset
}

func statusColor(st Status) string {
	switch st {
	case Added:
		return green
	case Removed:
		return red
	}
	return yellow
}

// Summary is the report's last line: what changed, in which groups.
func (r *Report) Summary() string {
	if r.Empty() {
		return fmt.Sprintf("%s: no changes", r.Root)
	}
	var names []string
	for _, g := range r.Groups {
		names = append(names, g.label())
	}
	return fmt.Sprintf("%s: %s (%s)", r.Root, tree.Counts(r.Counts()), strings.Join(names, ", "))
}

// label names a group in reports: the environment's name, "cluster NAME",
// or "shared".
func (g *Group) label() string {
	switch g.Kind {
	case KindEnvironment:
		return g.Name
	case KindCluster:
		return "cluster " + g.Name
	}
	return "shared"
}

// WriteText writes one line per change, each starting with its group:
//
//	dev: HelmRelease apk: values.wso2.apk.listener.hostname: "a" -> "b"
//
// then the summary. Multi-line strings are shown as an indented diff.
func WriteText(w io.Writer, r *Report, color bool) error {
	var b strings.Builder
	for _, g := range r.Groups {
		prefix := g.label() + ": "
		for _, f := range g.Files {
			if f.Explained {
				continue
			}
			b.WriteString(paint(color, statusColor(f.Status), prefix+f.Path+": file "+string(f.Status)+f.Note()) + "\n")
		}
		for _, o := range g.Objects {
			head := prefix + o.Title() + ": "
			if o.Status != Modified {
				line := head + string(o.Status)
				if o.Name != "" {
					line += " (" + o.File + ")"
				}
				b.WriteString(paint(color, statusColor(o.Status), line) + "\n")
				continue
			}
			for _, c := range o.Changes {
				line := head + c.Path + ": "
				switch {
				case c.Multiline():
					b.WriteString(paint(color, yellow, line+"changed") + "\n")
					b.WriteString(indent(ColorUnified(textDiff(c), color), "    "))
					continue
				case c.Status == Added:
					line += "added " + Value(c.New)
				case c.Status == Removed:
					line += "removed " + Value(c.Old)
				default:
					line += Value(c.Old) + " -> " + Value(c.New)
				}
				b.WriteString(paint(color, statusColor(c.Status), line) + "\n")
			}
		}
	}
	b.WriteString(paint(color, bold, r.Summary()) + "\n")
	_, err := io.WriteString(w, b.String())
	return err
}

// textDiff is the unified diff of a multi-line string change, without the
// file header lines.
func textDiff(c Change) string {
	o, _ := c.Old.(string)
	n, _ := c.New.(string)
	d := udiff.Unified("old", "new", o, n)
	if _, rest, ok := strings.Cut(d, "\n+++ new\n"); ok {
		return rest
	}
	return d
}

func indent(s, by string) string {
	if s == "" {
		return ""
	}
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString(by + l)
		}
	}
	return b.String()
}

// WriteMarkdown writes the report for a pull request comment: a summary,
// then per group a table of object changes and the list of files.
func WriteMarkdown(w io.Writer, r *Report) error {
	var b strings.Builder
	b.WriteString("### apkgen diff\n\n")
	if r.Empty() {
		fmt.Fprintf(&b, "No changes: `%s` is what a build writes.\n", r.Root)
		_, err := io.WriteString(w, b.String())
		return err
	}
	fmt.Fprintf(&b, "`%s`: %s.\n", r.Root, tree.Counts(r.Counts()))
	for _, g := range r.Groups {
		fmt.Fprintf(&b, "\n#### %s\n", mdEscape(g.label()))
		var diffs []string
		if len(g.Objects) > 0 {
			b.WriteString("\n| | object | field | old | new |\n| --- | --- | --- | --- | --- |\n")
			for _, o := range g.Objects {
				if o.Status != Modified {
					fmt.Fprintf(&b, "| %s | %s | %s in %s | | |\n", sign(o.Status), mdCell(o.Title()), o.Status, mdCode(o.File))
					continue
				}
				for _, c := range o.Changes {
					old, new := mdValue(c.Old, c.Status != Added), mdValue(c.New, c.Status != Removed)
					if c.Multiline() {
						old, new = "(see below)", "(see below)"
						diffs = append(diffs, fmt.Sprintf("<details><summary>%s: <code>%s</code></summary>\n\n```diff\n%s```\n\n</details>\n",
							html.EscapeString(o.Title()), html.EscapeString(c.Path), strings.ReplaceAll(textDiff(c), "```", "` ` `")))
					}
					fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", sign(c.Status), mdCell(o.Title()), mdCode(c.Path), old, new)
				}
			}
		}
		var files []string
		for _, f := range g.Files {
			if !f.Explained {
				files = append(files, fmt.Sprintf("- %s %s%s\n", f.Status, mdCode(f.Path), f.Note()))
			}
		}
		if len(files) > 0 {
			b.WriteString("\nFiles:\n\n" + strings.Join(files, ""))
		}
		for _, d := range diffs {
			b.WriteString("\n" + d)
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

func sign(st Status) string {
	switch st {
	case Added:
		return "+"
	case Removed:
		return "−"
	}
	return "~"
}

func mdValue(v any, present bool) string {
	if !present {
		return ""
	}
	return mdCode(Value(v))
}

// mdCode is a value in a table cell as inline code.
func mdCode(s string) string {
	if strings.Contains(s, "`") {
		return "<code>" + strings.ReplaceAll(html.EscapeString(s), "|", "&#124;") + "</code>"
	}
	return "`" + strings.ReplaceAll(s, "|", "\\|") + "`"
}

func mdCell(s string) string { return strings.ReplaceAll(mdEscape(s), "|", "\\|") }

func mdEscape(s string) string {
	r := strings.NewReplacer("\\", "\\\\", "*", "\\*", "_", "\\_", "<", "&lt;", ">", "&gt;", "[", "\\[", "]", "\\]")
	return r.Replace(s)
}

// jsonReport is the JSON form: the report with its counts.
type jsonReport struct {
	Root     string   `json:"root"`
	Changed  bool     `json:"changed"`
	Added    int      `json:"added"`
	Removed  int      `json:"removed"`
	Modified int      `json:"modified"`
	Groups   []*Group `json:"groups"`
}

// WriteJSON writes the report as one indented JSON object.
func WriteJSON(w io.Writer, r *Report) error {
	a, m, d := r.Counts()
	groups := r.Groups
	if groups == nil {
		groups = []*Group{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(jsonReport{Root: r.Root, Changed: !r.Empty(), Added: a, Removed: d, Modified: m, Groups: groups})
}

// Unified is the unified diff, file by file in path order, that turns the
// files old into the files new. Paths are shown under root, as git does
// (a/ROOT/PATH, b/ROOT/PATH); a file that is added or removed is diffed
// against /dev/null.
func Unified(old, new map[string][]byte, root string) string {
	var b strings.Builder
	for _, f := range tree.Diff(old, new) {
		p := f.Path
		from, to := "a/"+show(root, p), "b/"+show(root, p)
		switch f.Status {
		case tree.Added:
			from = "/dev/null"
		case tree.Removed:
			to = "/dev/null"
		}
		b.WriteString(udiff.Unified(from, to, string(old[p]), string(new[p])))
	}
	return b.String()
}

// ColorUnified colours a unified diff for a terminal when color is set.
func ColorUnified(d string, color bool) string {
	if !color || d == "" {
		return d
	}
	lines := strings.SplitAfter(d, "\n")
	var b strings.Builder
	for _, l := range lines {
		body := strings.TrimSuffix(l, "\n")
		nl := l[len(body):]
		switch {
		case strings.HasPrefix(l, "--- "), strings.HasPrefix(l, "+++ "):
			b.WriteString(paint(true, bold, body) + nl)
		case strings.HasPrefix(l, "@@"):
			b.WriteString(paint(true, cyan, body) + nl)
		case strings.HasPrefix(l, "+"):
			b.WriteString(paint(true, green, body) + nl)
		case strings.HasPrefix(l, "-"):
			b.WriteString(paint(true, red, body) + nl)
		default:
			b.WriteString(l)
		}
	}
	return b.String()
}
