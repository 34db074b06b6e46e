package manifest

import (
	"bytes"
	"io/fs"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"gopkg.in/yaml.v3"
)

// sameAsYAMLv3 checks that writeDoc writes the object as yaml.v3 does, or
// declines it; it reports whether writeDoc wrote it.
func sameAsYAMLv3(t *testing.T, o any) bool {
	t.Helper()
	n, err := node(reflect.ValueOf(o), topRank)
	if err != nil {
		t.Fatal(err)
	}
	want, yamlErr := encodeYAMLv3(n)
	var got bytes.Buffer
	got.WriteString("prefix kept\n")
	wrote := writeDoc(&got, reflect.ValueOf(o))
	if yamlErr != nil && wrote {
		t.Fatalf("writeDoc wrote %#v, which yaml.v3 refuses: %v", o, yamlErr)
	}
	if !wrote {
		if got.String() != "prefix kept\n" {
			t.Fatalf("writeDoc declined %#v but left %q", o, got.String())
		}
		return false
	}
	if g := strings.TrimPrefix(got.String(), "prefix kept\n"); g != string(want) {
		t.Fatalf("writeDoc(%#v):\n%s\nyaml.v3:\n%s", o, g, want)
	}
	return true
}

// The cases where the two writers could part: every layout, and scalars
// on both sides of each rule of plain.
func TestWriteMatchesYAMLv3(t *testing.T) {
	scalars := []any{
		"a", "abc", "a-b", "a_b", "a.b", "a/b", "a:b", "a:", "a: b", "a :b", "https://h.example.com:9443/x?y='1'&z=2",
		"A", "true", "True", "TRUE", "false", "null", "Null", "NULL", "yes", "Yes", "no", "on", "off", "y", "n", "Y", "N",
		"~", "", " ", "a ", " a", "-", "-a", "- a", "?", "? a", "a#b", "a #b", "#a", "*a", "&a", "!a", "%a", "@a", "`a",
		"'a'", "\"a\"", "a'b", "a\"b", "[a]", "{a}", "a,b", "a]b", "a}b", "|", ">", "a|b", "a>b", "---", "...", "--- a",
		"1", "01", "-1", "1.5", "1e3", "1e+03", "0x1F", "0o17", "1_000", "1:20", "2001-12-14", ".inf", ".nan", "+1",
		"10m", "1h", "1.3.0-1", "1.3", "1.3.", "1..3", "0x1g", "0b101", "0o7z", "1e5m", "2001-12-14x", "2001-1-1",
		"200-12-14", "20011-12-14", "1-2", "9443", "1.2.3", "4.6.0-4", "0.0.0", "1e3.5", "0xff.ff", "1.3.0-rc.1",
		"é", "aé", "a\tb", "a\x00b", "\x7f", "a\u2028b", "\xff", strings.Repeat("x", 200),
		"line\n", "line", "a\nb", "a\nb\n", "a\n\nb\n", "a\nb\n\n", "\na", " a\nb", "a \nb", "a\n b\n", "a\n\tb",
		"a\r\nb", "a\rb", "a\u0085b", "a\u2029b", "a\nb ", "é\nb", "---\n", "a\n---\nb", "a\n...\n",
		true, false, nil, 0, 7, -7, int64(1) << 62, uint64(1) << 63, 0.5, -0.25, 1e20, 1.5e-7, 3.0,
	}
	for _, s := range scalars {
		sameAsYAMLv3(t, map[string]any{"k": s})
		sameAsYAMLv3(t, map[string]any{"k": []any{s, s}})
		sameAsYAMLv3(t, map[string]any{"k": []any{map[string]any{"a": s, "b": s}}})
		sameAsYAMLv3(t, map[string]any{"k": []any{[]any{s}, []any{s, map[string]any{"z": s}}}})
		sameAsYAMLv3(t, map[string]any{"k": map[string]any{"deeper": map[string]any{"x": s}}})
		if str, ok := s.(string); ok {
			sameAsYAMLv3(t, map[string]any{str: "v"})
			sameAsYAMLv3(t, map[string]any{"k": []any{map[string]any{str: []any{str}}}})
		}
	}
	for _, o := range []map[string]any{
		{},
		{"empty": map[string]any{}, "none": []any{}, "items": []any{map[string]any{}, []any{}}},
		{"k": []any{map[string]any{"a": []any{"x", map[string]any{"b": map[string]any{}}}}}},
		{strings.Repeat("k", 128): 1, "b": 2},
		{strings.Repeat("k", 129): 1},
	} {
		sameAsYAMLv3(t, o)
	}
}

// TestWriteMatchesYAMLv3Random compares the writers on random trees of
// awkward characters.
func TestWriteMatchesYAMLv3Random(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	const alphabet = "abmoxe-_.:/ #'\"\n\t@=?&%+,*!|>{}[]é0123456789"
	// and strings near numbers, dates and versions.
	const numeric = "0123456789.-_+:eExobmT "
	letters, digits := []rune(alphabet), []rune(numeric)
	randString := func() string {
		from := letters
		if r.IntN(2) == 0 {
			from = digits
		}
		var b strings.Builder
		for range r.IntN(11) {
			b.WriteRune(from[r.IntN(len(from))])
		}
		return b.String()
	}
	var randValue func(depth int) any
	randValue = func(depth int) any {
		switch k := r.IntN(6); {
		case depth > 3 || k < 3:
			if r.IntN(4) == 0 {
				return r.IntN(100) - 50
			}
			return randString()
		case k == 3:
			var l []any
			for range r.IntN(3) {
				l = append(l, randValue(depth+1))
			}
			return l
		default:
			m := map[string]any{}
			for range r.IntN(4) {
				m[randString()] = randValue(depth + 1)
			}
			return m
		}
	}
	wrote := 0
	for range 20000 {
		m := map[string]any{}
		for range 1 + r.IntN(3) {
			m[randString()] = randValue(0)
		}
		if sameAsYAMLv3(t, m) {
			wrote++
		}
	}
	t.Logf("writeDoc wrote %d of 20000 random trees; yaml.v3 the rest", wrote)
}

// Every YAML file of the golden trees (written by apkgen, so canonical)
// is written by writeDoc itself, not handed to yaml.v3, and comes out
// the same.
func TestWriteCoversGoldenTrees(t *testing.T) {
	var files []string
	err := filepath.WalkDir("../../golden", func(p string, d fs.DirEntry, err error) error {
		if err == nil && strings.HasSuffix(p, ".yaml") {
			files = append(files, p)
		}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(files) < 50 {
		t.Fatalf("found %d golden YAML files, want the golden trees", len(files))
	}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, doc := range strings.Split(strings.TrimPrefix(string(b), Header), "---\n") {
			var o map[string]any
			if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
				t.Fatalf("%s: %v", f, err)
			}
			var got bytes.Buffer
			if !writeDoc(&got, reflect.ValueOf(o)) {
				t.Errorf("%s: writeDoc declined it", f)
			} else if got.String() != doc {
				t.Errorf("%s: writeDoc wrote\n%s\nthe file has\n%s", f, got.String(), doc)
			}
		}
	}
}

func FuzzWriteMatchesYAMLv3(f *testing.F) {
	for _, s := range []string{"a", "a: b", "a\nb\n", "true", "1.5", "é", " a", "a\n\n"} {
		f.Add(s, "k")
	}
	f.Fuzz(func(t *testing.T, s, k string) {
		sameAsYAMLv3(t, map[string]any{k: s, "list": []any{s, map[string]any{k: s, "x": []any{s}}}})
		sameAsYAMLv3(t, map[string]any{"a": map[string]any{k: map[string]any{s: []any{[]any{k}}}}})
	})
}

// BenchmarkMarshal writes a dp-per-namespace environment's HelmRelease
// patch, the bulk of what apkgen writes: Marshal, and the same with
// yaml.v3's node tree and emitter.
func BenchmarkMarshal(b *testing.B) {
	data, err := os.ReadFile("../../golden/dp-per-namespace/apps/dev/apk-release.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var o map[string]any
	if err := yaml.Unmarshal(data, &o); err != nil {
		b.Fatal(err)
	}
	b.Run("Marshal", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			if _, err := Marshal(o); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("yaml.v3", func(b *testing.B) {
		b.ReportAllocs()
		for b.Loop() {
			n, err := node(reflect.ValueOf(o), topRank)
			if err != nil {
				b.Fatal(err)
			}
			if _, err := encodeYAMLv3(n); err != nil {
				b.Fatal(err)
			}
		}
	})
}
