package manifest

import (
	"bytes"
	"reflect"
	"strings"

	"gopkg.in/yaml.v3"
)

// writeDoc writes a value as yaml.v3 writes its node tree with
// SetIndent(2), byte for byte, for the values apkgen makes almost always:
// block maps and lists of short strings, numbers and literal blocks. It
// reports false, leaving buf as it was, for anything else, which yaml.v3
// then writes (and any value node refuses).
//
// yaml.v3's emitter is general and slow: it was two thirds of writing the
// manifests, and the manifests 40% of a warm build of 1000 environments.
// TestWriteMatchesYAMLv3 and FuzzWriteMatchesYAMLv3 hold the two writers
// to the same bytes; a scalar this writer is unsure of is written by
// yaml.v3 alone (scalarText), so only the layout is written here.
func writeDoc(buf *bytes.Buffer, v reflect.Value) bool {
	start := buf.Len()
	w := writer{buf: buf}
	v, null := deref(v)
	if null || v.Kind() != reflect.Map {
		return false
	}
	if v.Len() == 0 {
		buf.WriteString("{}\n")
		return true
	}
	if !w.mapping(v, topRank, 0, false) {
		buf.Truncate(start)
		return false
	}
	return true
}

type writer struct {
	buf *bytes.Buffer
}

// maxSimpleKey is the longest key yaml.v3 writes as `key: value`; a longer
// one is written as a complex key (`? key`).
const maxSimpleKey = 128

// mapping writes a block map whose keys are at column indent; inline, the
// first key goes where the writer is (after a list item's "- ").
func (w writer) mapping(v reflect.Value, rank map[string]int, indent int, inline bool) bool {
	for i, e := range sortedEntries(v, rank) {
		if len(e.key) > maxSimpleKey || strings.Contains(e.key, "\n") {
			return false
		}
		key, ok := scalarText(str(e.key))
		if !ok {
			return false
		}
		if i > 0 || !inline {
			w.indent(indent)
		}
		w.buf.WriteString(key)
		w.buf.WriteByte(':')
		if !w.value(e.value, indent+2, false) {
			return false
		}
	}
	return true
}

// sequence writes a block list whose dashes are at column indent.
func (w writer) sequence(v reflect.Value, indent int, inline bool) bool {
	for i := 0; i < v.Len(); i++ {
		if i > 0 || !inline {
			w.indent(indent)
		}
		w.buf.WriteByte('-')
		if !w.value(v.Index(i), indent+2, true) {
			return false
		}
	}
	return true
}

// value writes what follows a key's colon or an item's dash: a scalar or
// an empty collection on the same line, a map or a list on the next lines
// (a key's) or starting on the same line (an item's), at column child.
func (w writer) value(v reflect.Value, child int, item bool) bool {
	v, null := deref(v)
	switch {
	case null:
		w.buf.WriteString(" null\n")
		return true
	case v.Kind() == reflect.Map && v.Len() == 0:
		w.buf.WriteString(" {}\n")
		return true
	case isList(v) && v.Len() == 0:
		w.buf.WriteString(" []\n")
		return true
	case v.Kind() == reflect.Map || isList(v):
		if item {
			w.buf.WriteByte(' ')
		} else {
			w.buf.WriteByte('\n')
		}
		if v.Kind() == reflect.Map {
			return w.mapping(v, nestedRank, child, item)
		}
		return w.sequence(v, child, item)
	}
	s, err := scalarOf(v)
	if err != nil {
		return false
	}
	if strings.Contains(s.value, "\n") {
		return w.literal(s.value, child)
	}
	text, ok := scalarText(s)
	if !ok {
		return false
	}
	w.buf.WriteByte(' ')
	w.buf.WriteString(text)
	w.buf.WriteByte('\n')
	return true
}

// literal writes a multi-line string as a literal block whose lines are at
// column indent, when yaml.v3 writes it so without an indentation
// indicator or the keep chomping (`|+`), which ends a document openly.
func (w writer) literal(s string, indent int) bool {
	if s[0] == ' ' || s[0] == '\n' || strings.HasSuffix(s, "\n\n") || strings.HasSuffix(s, " ") {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '\n' {
			if i > 0 && s[i-1] == ' ' {
				return false // a space before a line break: double-quoted
			}
			continue
		}
		if c < 0x20 || c > 0x7e {
			return false // tabs, control and non-ASCII characters
		}
	}
	w.buf.WriteString(" |")
	if !strings.HasSuffix(s, "\n") {
		w.buf.WriteByte('-')
	}
	w.buf.WriteByte('\n')
	for line := range strings.Lines(s) {
		if line != "\n" {
			w.indent(indent)
		}
		w.buf.WriteString(line)
	}
	if !strings.HasSuffix(s, "\n") {
		w.buf.WriteByte('\n')
	}
	return true
}

func (w writer) indent(n int) {
	for n > len(spaces) {
		w.buf.WriteString(spaces)
		n -= len(spaces)
	}
	w.buf.WriteString(spaces[:n])
}

const spaces = "                                "

// scalarText is how yaml.v3 writes a one-line scalar: itself when it is
// plainly a string, a number, a bool or null; quoted when it is a string
// that starts with an indicator; else what yaml.v3 makes of it alone
// (quoted, tagged), which is the same in any block position unless it
// breaks the line: a line break other than "\n" (which YAML also reads as
// one) is declined.
func scalarText(s scalar) (string, bool) {
	if plain(s) {
		return s.value, true
	}
	if s.tag == "!!str" && quotedIndicator(s.value) {
		return "'" + strings.ReplaceAll(s.value, "'", "''") + "'", true
	}
	if strings.ContainsAny(s.value, "\r\u0085\u2028\u2029") {
		return "", false
	}
	b, err := yaml.Marshal(s.node())
	if err != nil || bytes.Count(b, []byte("\n")) != 1 {
		return "", false
	}
	return string(b[:len(b)-1]), true
}

// plain reports whether yaml.v3 writes the scalar as it is, without
// quotes or tag, for the cases checked here; false is "not sure".
func plain(s scalar) bool {
	if s.value == "" {
		return false
	}
	switch s.tag {
	case "!!str":
		return plainString(s.value)
	case "!!bool":
		return s.value == "true" || s.value == "false"
	case "!!null":
		return s.value == "null"
	case "!!int", "":
		return isInteger(s.value)
	case "!!float":
		return isFloat(s.value)
	}
	return false
}

// plainString: a string that starts with a digit (plainDigitFirst), or
// starts with a letter and holds only
// characters that are no YAML indicator there (a colon only before another
// character: "a:" and "a: b" are quoted), and is no word a YAML reader
// takes for a bool or null.
func plainString(s string) bool {
	if s[0] >= '0' && s[0] <= '9' {
		return plainDigitFirst(s)
	}
	if !isLetter(s[0]) || len(s) <= 5 && yamlWord[strings.ToLower(s)] {
		return false
	}
	for i := 1; i < len(s); i++ {
		c := s[i]
		switch {
		case isLetter(c), c >= '0' && c <= '9':
		case strings.IndexByte("-_./@=?&%+", c) >= 0:
		case c == ':' && i+1 < len(s):
		default:
			return false
		}
	}
	return true
}

// plainDigitFirst: a string that starts with a digit and that YAML reads
// as no number and no date, as a duration ("10m") or a version ("1.3.0-1"):
// lower-case letters, digits, dots and dashes, with a letter no number
// holds (hexadecimal digits, x, o and b are in numbers) or two dots, and
// not four digits and a dash (a date).
func plainDigitFirst(s string) bool {
	dots, wordLetter := 0, false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= '0' && c <= '9', c == '-':
		case c == '.':
			dots++
		case c >= 'a' && c <= 'z':
			wordLetter = wordLetter || strings.IndexByte("abcdefox", c) < 0
		default:
			return false
		}
	}
	if len(s) > 4 && isDigits(s[:4]) && s[4] == '-' {
		return false
	}
	return wordLetter || dots >= 2
}

// quotedIndicator: a string that starts with a YAML indicator, which only
// quoting keeps a string (a glob like "*.example.com" is one), and whose
// other characters single quotes can hold: yaml.v3 single-quotes it.
func quotedIndicator(s string) bool {
	if s == "" || strings.IndexByte("#,[]{}&*!|>'\"%@`", s[0]) < 0 {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}

// yamlWord are the words YAML 1.1 or 1.2 read as a bool or null, in lower
// case: plainString leaves them to yaml.v3.
var yamlWord = map[string]bool{"true": true, "false": true, "null": true,
	"yes": true, "no": true, "on": true, "off": true, "y": true, "n": true}

func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// isInteger: an optional minus and decimal digits, without a leading zero
// (which YAML 1.1 reads as octal).
func isInteger(s string) bool {
	s = strings.TrimPrefix(s, "-")
	return isDigits(s) && (s[0] != '0' || len(s) == 1)
}

// isFloat: what strconv.FormatFloat(f, 'g', -1, 64) writes of a finite
// number that is not integral (an integral one is an !!int): digits with
// a point, or an exponent.
func isFloat(s string) bool {
	mant, exp, hasExp := strings.Cut(s, "e")
	mant = strings.TrimPrefix(mant, "-")
	whole, frac, hasPoint := strings.Cut(mant, ".")
	if !hasPoint && !hasExp || !isDigits(whole) || hasPoint && !isDigits(frac) {
		return false
	}
	if hasExp {
		if len(exp) < 2 || exp[0] != '+' && exp[0] != '-' || !isDigits(exp[1:]) {
			return false
		}
	}
	return true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
