package load

import (
	"bytes"
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	cueerrors "cuelang.org/go/cue/errors"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/diag"
)

// scope says how to read the errors of one unification: the user's path of
// the checked value, where that value starts in CUE's error paths, and the
// schema it was checked against (for "did you mean").
type scope struct {
	prefix []string // the user's path of the value checked, e.g. environments.dev
	marker string   // CUE paths hold the value's fields after this selector ("in" for patterns)
	// computed: the value is computed from what the user wrote (a
	// pattern's output), so its fields are not in the file: errors are
	// reported at prefix.
	computed bool
	schema   cue.Value // the definition the value was unified with
	at       cue.Value // the value as written, for positions when CUE has none
}

// userPath maps a CUE error path to the user's path: it drops the
// definitions (and, with a marker, everything up to it) and adds the prefix.
func (s *scope) userPath(path []string) []string {
	path = unquote(path)
	if s.computed {
		path = nil
	} else if s.marker != "" {
		if i := slices.Index(path, s.marker); i >= 0 {
			path = path[i+1:]
		} else {
			path = nil
		}
	} else {
		for len(path) > 0 && strings.HasPrefix(path[0], "#") {
			path = path[1:]
		}
	}
	return append(append([]string(nil), s.prefix...), path...)
}

// reporter turns CUE errors into diagnostics in the user's words.
type reporter struct {
	name    string
	doc     cue.Value         // the whole document as written
	formats map[string]string // regular expression -> what it means
	byName  map[string]Format // #Formats by name, compiled
	// policies are the names of the --policy files: an error that comes
	// from one of their rules also says where the rule is.
	policies []string
	// secretPaths are the fields reported as credentials: that one line
	// says all there is to say about them.
	secretPaths map[string]bool
	// data is the file as read, for a value as written (quoteHint).
	data []byte
}

func newReporter(name string, doc cue.Value, byName map[string]Format) *reporter {
	r := &reporter{name: name, doc: doc, formats: map[string]string{}, byName: byName}
	for _, f := range byName {
		r.formats[f.Re] = f.Says
	}
	return r
}

// withDoc is the reporter for the same file parsed into another CUE
// context (a worker's); everything else is shared, and only read.
func (r *reporter) withDoc(doc cue.Value) *reporter {
	w := *r
	w.doc = doc
	return &w
}

var (
	outOfBound  = regexp.MustCompile(`^invalid value (.*) \(out of bound =~(".*")\)$`)
	conflicting = regexp.MustCompile(`^conflicting values (.+?) and (.+?)(?: \(mismatched types (\w+) and (\w+)\))?$`)
	outOfRange  = regexp.MustCompile(`^invalid value (.*) \(out of bound (.*)\)$`)
	emptyDisj   = regexp.MustCompile(`^\d+ errors in empty disjunction`)
)

// foldedLine is one line of an error report: the first message said of
// its place, or, when CUE said only which alternatives (a disjunction's,
// an enum's) the value is not, one error each, those folded into one.
type foldedLine struct {
	path  []string // the place in the file, for its position
	d     diag.Diagnostic
	alts  []string // the alternatives the value is not
	value string   // the value, as CUE prints it
	rule  string   // the policy rule the alternatives come from, if any
	// conflicts are CUE's conflicts (matches of conflicting) of a value
	// not known beforehand, a policy's: foldConflicts finds it.
	conflicts [][]string
}

// foldedLines are a report's lines, one per key, in the order first said.
type foldedLines struct {
	lines []*foldedLine
	byKey map[string]*foldedLine
}

// at is the line of key; a new one holds d, said at path.
func (f *foldedLines) at(key string, path []string, d diag.Diagnostic) *foldedLine {
	if l := f.byKey[key]; l != nil {
		return l
	}
	if f.byKey == nil {
		f.byKey = map[string]*foldedLine{}
	}
	l := &foldedLine{path: path, d: d}
	f.byKey[key] = l
	f.lines = append(f.lines, l)
	return l
}

// alternatives are the line's alternatives, sorted, each once.
func (l *foldedLine) alternatives() []string {
	return slices.Compact(slices.Sorted(slices.Values(l.alts)))
}

// mustBe says what the line's value must be instead: its one alternative,
// or one of them; fit, if any, says what they are for.
func (l *foldedLine) mustBe(fit string) string {
	alts := l.alternatives()
	if len(alts) == 1 {
		return fmt.Sprintf("must be %s%s, not %s", alts[0], fit, oneLine(l.value))
	}
	return fmt.Sprintf("must be one of %s%s, not %s", strings.Join(alts, ", "), fit, oneLine(l.value))
}

// foldConflicts turns the line's conflicts into its alternatives, when
// they tell the value: the side the first two share, which must be a side
// of each.
func (l *foldedLine) foldConflicts() bool {
	if len(l.conflicts) < 2 {
		return false
	}
	value := l.conflicts[0][1]
	if second := l.conflicts[1]; value != second[1] && value != second[2] {
		value = l.conflicts[0][2]
	}
	var alts []string
	for _, m := range l.conflicts {
		alt, ok := otherSide(m, value)
		if !ok {
			return false
		}
		alts = append(alts, alt)
	}
	l.alts, l.value = alts, value
	return true
}

// report converts err; errors at one path are folded into one line.
func (r *reporter) report(err error, s *scope) diag.List {
	var lines foldedLines
	for _, e := range cueerrors.Errors(err) {
		path := s.userPath(e.Path())
		key := joinPath(path)
		format, args := e.Msg()
		msg := fmt.Sprintf(format, args...)
		if emptyDisj.MatchString(msg) {
			continue // its alternatives come as errors of their own
		}
		// field names a computed field of the pattern's output: each
		// error of one is a line of its own, at the environment. (An
		// error in the pattern's own intermediate values is folded into
		// one line, as its consequences repeat it.)
		field := ""
		// atField places the error at the field as written, not where CUE
		// says: two checks of one field then report one line.
		atField := false
		switch {
		case s.computed && computedField(e.Path()) != "":
			field = computedField(e.Path())
			key += "\x00" + field + "\x00" + msg
		case strings.HasPrefix(msg, "field not allowed") || isMissing(msg) && !r.doc.LookupPath(selectors(path)).Exists():
			continue // checkFields reports these, all of them, in one wording.
		case isMissing(msg):
			// Written, but as a constraint (a file in CUE: `string`).
			msg = "must be a concrete value, not only a constraint"
			atField = true
		}
		ent := lines.at(key, path, diag.Diagnostic{Path: joinPath(path)})
		pos := r.inFile(e)
		if atField {
			pos = r.lookupPos(path)
		}
		if alt, val, ok := r.alternative(msg, path); ok {
			ent.alts = append(ent.alts, alt)
			ent.value = val
			ent.rule = r.ruleAt(e)
			if ent.d.Pos.Line == 0 {
				ent.d.Pos = pos
			}
			continue
		}
		msg = r.reword(msg)
		if pos.Line == 0 {
			pos = r.lookupPos(path)
		}
		if pos.Line == 0 && s.at.Exists() {
			pos = fromToken(r.name, s.at.Pos())
		}
		if field != "" {
			msg = field + ": " + msg
		}
		if ent.d.Message == "" {
			ent.d.Message, ent.d.Pos = msg+r.ruleAt(e), pos
		}
	}
	var out diag.List
	for _, ent := range lines.lines {
		if ent.d.Message == "" && len(ent.alts) > 0 {
			ent.d.Message = ent.mustBe("")
			if alts := ent.alternatives(); len(alts) == 1 && alts[0] == "a string" {
				ent.d.Message += r.quoteHint(ent.path)
			}
			ent.d.Message += ent.rule
		}
		if ent.d.Pos.Line == 0 {
			ent.d.Pos = r.lookupPos(ent.path)
		}
		out = append(out, ent.d)
	}
	return out
}

// computedField is a pattern's output field as CUE's error path names it,
// from out on (out.releases.apk.releaseName); "" for another path.
func computedField(path []string) string {
	path = unquote(path)
	if i := slices.Index(path, "out"); i >= 0 {
		return joinPath(path[i:])
	}
	return ""
}

// reportAll adds err's diagnostics to found, what other checks found of the
// same error (checkFields). An error must not go unreported: when neither
// says anything (a value CUE could not compute, say), it adds what CUE
// said, at the scope.
func (r *reporter) reportAll(err error, s *scope, found diag.List) diag.List {
	found = append(found, r.report(err, s)...)
	if !found.HasErrors() && !r.credentialUnder(s.prefix) {
		found.Errorf(r.lookupPos(s.prefix), joinPath(s.prefix), "%s", strings.SplitN(err.Error(), "\n", 2)[0])
	}
	return found
}

// credentialUnder reports whether a credential was found under path: its
// field is reported as such, not as unknown.
func (r *reporter) credentialUnder(path []string) bool {
	prefix := joinPath(path) + "."
	for p := range r.secretPaths {
		if strings.HasPrefix(p, prefix) {
			return true
		}
	}
	return false
}

// alternative recognises "conflicting values A and B" where one side is the
// user's value: the other is an allowed alternative.
func (r *reporter) alternative(msg string, path []string) (alt, value string, ok bool) {
	m := conflicting.FindStringSubmatch(msg)
	if m == nil {
		return "", "", false
	}
	user := r.valueAt(path)
	if m[3] != "" {
		// Mismatched types: the side whose kind the user wrote is theirs
		// (CUE prints a list or a mapping differently from fmt).
		switch r.doc.LookupPath(selectors(path)).IncompleteKind().String() {
		case m[4]:
			return typeName(m[3]), user, true
		case m[3]:
			return typeName(m[4]), user, true
		}
	}
	alt, ok = otherSide(m, user)
	return alt, user, ok
}

// otherSide is the side of a conflict (a match of conflicting) that is
// not value: an alternative to it, or, when their types differ, its type.
func otherSide(m []string, value string) (string, bool) {
	switch value {
	case m[2]:
		if m[3] != "" {
			return typeName(m[3]), true
		}
		return m[1], true
	case m[1]:
		if m[3] != "" {
			return typeName(m[4]), true
		}
		return m[2], true
	}
	return "", false
}

// typeName says a CUE kind the way a YAML author thinks of it.
func typeName(kind string) string {
	switch kind {
	case "struct":
		return "a mapping (key: value)"
	case "list":
		return "a list"
	case "bool":
		return "true or false"
	case "int", "float", "number":
		return "a number"
	case "string":
		return "a string"
	}
	return "a " + kind
}

var maxRunes = regexp.MustCompile(`^invalid value (.*) \(does not satisfy strings\.MaxRunes\((\d+)\)\)$`)

// reword replaces CUE's regular expressions with what they mean.
func (r *reporter) reword(msg string) string {
	if m := outOfBound.FindStringSubmatch(msg); m != nil {
		if re, err := strconv.Unquote(m[2]); err == nil {
			if says, ok := r.formats[re]; ok {
				return fmt.Sprintf("%s %s", m[1], says)
			}
		}
		return fmt.Sprintf("%s does not match %s", m[1], m[2])
	}
	if m := maxRunes.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("must be at most %s characters long", m[2])
	}
	if m := outOfRange.FindStringSubmatch(msg); m != nil {
		return fmt.Sprintf("must be %s, not %s", m[2], m[1])
	}
	return msg
}

// unknown reports the field at path as unknown, with the one of allowed
// it may have meant, or else the list of them after listed (e.g.
// "allowed"), and returns that one ("" when none). A field reported as a
// credential is not reported again.
func (r *reporter) unknown(diags *diag.List, path, allowed []string, listed string) (meant string) {
	if r.secretPaths[joinPath(path)] {
		return ""
	}
	msg := fmt.Sprintf("unknown field %q", last(path))
	meant = suggest.Closest(last(path), allowed)
	switch {
	case len(path) == 3 && path[0] == "environments" &&
		r.doc.LookupPath(selectors(append(slices.Clone(path), "pattern"))).Exists():
		// An environment indented under the one before it.
		meant = ""
		msg += fmt.Sprintf("; it has a pattern: if it is an environment, indent it as far as %q", path[1])
	case meant != "":
		msg += fmt.Sprintf("; did you mean %q?", meant)
	case len(allowed) > 0:
		msg += "; " + listed + ": " + strings.Join(allowed, ", ")
	}
	diags.Errorf(r.lookupPos(path), joinPath(path), "%s", msg)
	return meant
}

// allowedFields lists the fields a definition allows at a path.
func allowedFields(schema cue.Value, path []string) []string {
	if !schema.Exists() {
		return nil
	}
	v := schema
	for _, p := range path {
		v = fieldDef(v, p)
	}
	it, err := v.Fields(cue.Optional(true))
	if err != nil {
		return nil
	}
	var names []string
	for it.Next() {
		names = append(names, it.Selector().Unquoted())
	}
	sort.Strings(names)
	return names
}

func isMissing(msg string) bool {
	return strings.HasPrefix(msg, "incomplete value") ||
		strings.Contains(msg, "field is required but not present") ||
		strings.HasPrefix(msg, "non-concrete value")
}

// ruleAt names the policy rule an error comes from, if any.
func (r *reporter) ruleAt(e cueerrors.Error) string {
	if p, ok := posIn(e, r.policies...); ok {
		return r.policyAt(p)
	}
	return ""
}

// policyAt names pos when it lies in a --policy file: a field only a
// policy declares is required by the policy, not by apkgen.
func (r *reporter) policyAt(pos token.Pos) string {
	if pos.IsValid() && slices.Contains(r.policies, pos.Filename()) {
		return fmt.Sprintf(" (policy %s:%d:%d)", pos.Filename(), pos.Line(), pos.Column())
	}
	return ""
}

// inFile picks the error's position that lies in the user's file.
func (r *reporter) inFile(e cueerrors.Error) diag.Pos {
	if p, ok := posIn(e, r.name); ok {
		return fromToken(r.name, p)
	}
	return diag.Pos{File: r.name}
}

// posIn is the first of an error's positions, its own then its inputs',
// that lies in one of files.
func posIn(e cueerrors.Error, files ...string) (token.Pos, bool) {
	for _, p := range append([]token.Pos{e.Position()}, e.InputPositions()...) {
		if p.IsValid() && slices.Contains(files, p.Filename()) {
			return p, true
		}
	}
	return token.NoPos, false
}

// lookupPos finds the position of the nearest existing field on path in the
// document as written.
func (r *reporter) lookupPos(path []string) diag.Pos {
	if !r.doc.Exists() {
		return diag.Pos{File: r.name}
	}
	for n := len(path); n >= 0; n-- {
		v := r.doc.LookupPath(selectors(path[:n]))
		if v.Exists() {
			if p := fromToken(r.name, v.Pos()); p.Line > 0 {
				return p
			}
		}
	}
	return diag.Pos{File: r.name}
}

// valueAt formats the user's value at path as CUE prints it.
func (r *reporter) valueAt(path []string) string {
	v := r.doc.LookupPath(selectors(path))
	if !v.Exists() {
		return ""
	}
	return fmt.Sprint(v)
}

// quoteHint tells to quote a number or a boolean written where a string
// goes: YAML reads 1.30 as 1.3, 0755 as a number and true as a boolean; "" for
// other values and for files in CUE, which say what they mean.
func (r *reporter) quoteHint(path []string) string {
	v := r.doc.LookupPath(selectors(path))
	kind := v.IncompleteKind()
	fileFormat := format(r.name)
	if kind&(cue.NumberKind|cue.BoolKind) == 0 || kind&cue.StringKind != 0 || fileFormat == "cue" {
		return ""
	}
	field, _ := v.Source().(*ast.Field)
	if field == nil {
		return ""
	}
	written := r.writtenAt(field.Value.Pos())
	if written == "" {
		return ""
	}
	what := "a number"
	if kind == cue.BoolKind {
		what = "a boolean"
	}
	reader := "YAML"
	if fileFormat == "json" {
		reader = "JSON"
	}
	return fmt.Sprintf(" (%s reads %s as %s); quote it: %q", reader, written, what, written)
}

// writtenAt is the plain scalar that starts at pos in the file, as
// written: up to the end of the line, a comment, or a flow separator.
func (r *reporter) writtenAt(pos token.Pos) string {
	if !pos.IsValid() || pos.Offset() >= len(r.data) {
		return ""
	}
	rest := r.data[pos.Offset():]
	end := bytes.IndexAny(rest, "\n#,}]")
	if end < 0 {
		end = len(rest)
	}
	return strings.TrimSpace(string(rest[:end]))
}

// maxShownValue is how much of a wrong value an error quotes.
const maxShownValue = 60

// oneLine is a value as CUE prints it, on one line and cut short: an error
// is one line, and a whole mapping written where a string goes would fill
// the screen.
func oneLine(v string) string {
	v = strings.Join(strings.Fields(v), " ")
	if r := []rune(v); len(r) > maxShownValue {
		return string(r[:maxShownValue-1]) + "…"
	}
	return v
}

func selectors(path []string) cue.Path {
	sels := make([]cue.Selector, len(path))
	for i, p := range path {
		sels[i] = cue.Str(p)
	}
	return cue.MakePath(sels...)
}

func fromToken(name string, p token.Pos) diag.Pos {
	if !p.IsValid() || p.Filename() != name {
		return diag.Pos{File: name}
	}
	return diag.Pos{File: name, Line: p.Line(), Col: p.Column()}
}

// joinPath is path as errors show it and key their lines: its keys joined
// by dots, one that is empty or holds a dot quoted, as CUE writes it
// (labels."app.kubernetes.io/name", gateway.""): the dots then tell where
// each key ends.
func joinPath(path []string) string {
	var b strings.Builder
	for i, k := range path {
		if i > 0 {
			b.WriteByte('.')
		}
		if k == "" || strings.Contains(k, ".") {
			k = strconv.Quote(k)
		}
		b.WriteString(k)
	}
	return b.String()
}

func unquote(path []string) []string {
	out := make([]string, len(path))
	for i, p := range path {
		if u, err := strconv.Unquote(p); err == nil && strings.HasPrefix(p, `"`) {
			p = u
		}
		out[i] = p
	}
	return out
}

func last(path []string) string {
	if len(path) == 0 {
		return ""
	}
	return path[len(path)-1]
}
