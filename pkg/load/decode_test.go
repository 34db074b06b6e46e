package load

import (
	"bytes"
	"encoding/json"
	"io/fs"
	"reflect"
	"strings"
	"sync"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"

	"github.com/apkgen/apkgen/examples"
	"github.com/apkgen/apkgen/internal/envgen"
)

// An environment's evaluation reaches Go through JSON (what the cache
// stores): every kind of value must come out as cue.Value.Decode makes it.
func TestExportDecodeMatchesCUEDecode(t *testing.T) {
	ctx := cuecontext.New()
	values := `{
		int: 1, negative: -7, maxInt64: 9223372036854775807, beyondInt64: 92233720368547758070,
		oneFloat: 1.0, exponent: 1e3, half: 0.5, huge: 1.5e300, small: 2.5e-7,
		str: "s", yes: true, nothing: null, empty: {}, emptyList: [],
		list: [1, 2.5, {x: 3, y: [null, "z"]}], nested: {a: {b: {c: 4}}},
	}`
	in := ctx.CompileString(`{namespace: "ns", hostnames: {gateway: "g", system: "s"}, values: apk: ` + values + `}`)
	out := ctx.CompileString(`{
		exclusiveCluster: true
		releases: apk: {
			chart: {name: "c", version: "1", repository: "https://r"}
			releaseName: "r", crds: "Skip", dependsOn: [], otherNamespaces: []
			values: ` + values + `
			postRender: [{patch: "p", target: {kind: "K", version: "v1"}}]
			clusterScoped: ["g/k/n"]
			lands: []
		}
		objects: [{apiVersion: "v1", kind: "ConfigMap", metadata: name: "x", data: {n: 1, f: 0.5}}]
		files: {"a.toml": "x"}
	}`)
	for _, v := range []cue.Value{in, out} {
		if err := v.Err(); err != nil {
			t.Fatal(err)
		}
	}
	var want evaluated
	if err := in.Decode(&want.In); err != nil {
		t.Fatal(err)
	}
	if err := out.Decode(&want.Out); err != nil {
		t.Fatal(err)
	}
	data, got := exportDecode(t, in, out, false)
	if !reflect.DeepEqual(got.In, want.In) {
		t.Errorf("in:\n got %#v\nwant %#v", got.In, want.In)
	}
	if !reflect.DeepEqual(got.Out, want.Out) {
		t.Errorf("out:\n got %#v\nwant %#v", got.Out.Releases["apk"].Values, want.Out.Releases["apk"].Values)
	}
	// The test means something only if the values kept their kinds.
	v := got.Out.Releases["apk"].Values
	for key, want := range map[string]string{"int": "int64", "oneFloat": "float64", "beyondInt64": "*big.Int", "half": "float64"} {
		if typ := reflect.TypeOf(v[key]).String(); typ != want {
			t.Errorf("values.%s is a %s, want %s", key, typ, want)
		}
	}

	// validate reads a build's entry as it reads its own (claims only),
	// and never reads out: damaged after its claims, the entry still gives
	// them, and only a build refuses it.
	_, wantClaims := exportDecode(t, in, out, true)
	at := bytes.Index(data, []byte(`,"out":`))
	if at < 0 {
		t.Fatalf("no out in %s", data)
	}
	damaged := append(data[:at:at], `,"out": {"releases": [`...)
	for name, entry := range map[string][]byte{"a build's": data, "a damaged": damaged} {
		got, err := decodeEnv(entry, true)
		if err != nil {
			t.Errorf("%s entry, claims only: %v", name, err)
		} else if !reflect.DeepEqual(got, wantClaims) {
			t.Errorf("%s entry, claims only:\n got %#v\nwant %#v", name, got, wantClaims)
		}
	}
	if _, err := decodeEnv(damaged, false); err == nil {
		t.Error("a damaged entry decoded whole")
	}
}

// exportDecode exports an evaluation and decodes it back.
func exportDecode(t *testing.T, in, out cue.Value, claimsOnly bool) ([]byte, *evaluated) {
	t.Helper()
	data, err := exportEnv(in, out, claimsOnly)
	if err != nil {
		t.Fatal(err)
	}
	ev, err := decodeEnv(data, claimsOnly)
	if err != nil {
		t.Fatal(err)
	}
	return data, ev
}

// A damaged entry does not decode: the environment is evaluated again.
func TestDecodeEnvRejectsDamage(t *testing.T) {
	for _, data := range []string{"", "{", `{"in": 3}`, `{"out": {"releases": []}}`, `{}`, `{"in": {}, "out": {"releases": {}}}`,
		`{"in": {}, "claims": {"releases": {}}, "out": {"releases": {}}}`} {
		for _, claimsOnly := range []bool{false, true} {
			if _, err := decodeEnv([]byte(data), claimsOnly); err == nil {
				t.Errorf("decodeEnv(%q, claimsOnly %v) = nil error", data, claimsOnly)
			}
		}
	}
}

// TestExportMatchesCUEDecodeOnPatterns: for what the patterns really
// compute (every example and a generated estate using every pattern, in
// builds and in validation), exportEnv's JSON decodes to what CUE's own
// Decode makes of the same values.
func TestExportMatchesCUEDecodeOnPatterns(t *testing.T) {
	var mu sync.Mutex
	exports := 0
	exportEnvFunc = func(in, out cue.Value, claimsOnly bool) ([]byte, error) {
		data, err := exportEnv(in, out, claimsOnly)
		if err != nil {
			return nil, err
		}
		var want evaluated
		if err := in.Decode(&want.In); err != nil {
			t.Errorf("in.Decode: %v", err)
		}
		if err := out.Decode(&want.Out); err != nil {
			t.Errorf("out.Decode: %v", err)
		}
		got, err := decodeEnv(data, claimsOnly)
		if err != nil {
			t.Errorf("decodeEnv: %v", err)
		} else if !reflect.DeepEqual(*got, want) {
			t.Errorf("exportEnv decodes to\n%#v\nCUE's Decode to\n%#v", *got, want)
		}
		mu.Lock()
		exports++
		mu.Unlock()
		return data, nil
	}
	defer func() { exportEnvFunc = exportEnv }()
	files := map[string][]byte{"envgen-100.yaml": envgen.Generate(100)}
	names, err := fs.Glob(examples.FS, "*.yaml")
	if err != nil || len(names) == 0 {
		t.Fatalf("examples: %v %v", names, err)
	}
	for _, name := range names {
		if files[name], err = examples.FS.ReadFile(name); err != nil {
			t.Fatal(err)
		}
	}
	for name, data := range files {
		for _, claimsOnly := range []bool{false, true} {
			if _, err := Parse(name, data, Options{ClaimsOnly: claimsOnly}); err != nil {
				t.Errorf("%s: %v", name, err)
			}
		}
	}
	if exports < 200 {
		t.Errorf("%d environments exported, want at least 200", exports)
	}
}

// appendJSONString writes JSON that reads back as the string it was given.
func TestAppendJSONString(t *testing.T) {
	for _, s := range []string{"", "apk", `say "hi"`, `back\slash`, "tab\there", "nl\n", "del\x7f", "ünïcode", "\u2028", "bad\xffutf8", "<&>"} {
		b := appendJSONString([]byte("x"), s)
		var got string
		if err := json.Unmarshal(b[1:], &got); err != nil {
			t.Errorf("%q: %s is not JSON: %v", s, b[1:], err)
			continue
		}
		if want := strings.ToValidUTF8(s, "\uFFFD"); got != want {
			t.Errorf("%q reads back as %q", s, got)
		}
	}
}

// typedFields reads JSON tags as encoding/json does, and refuses an
// embedded struct, whose fields encoding/json would promote.
func TestTypedFields(t *testing.T) {
	type tagged struct {
		Plain   string
		Named   string `json:"named,omitempty"`
		Skipped string `json:"-"`
		//lint:ignore SA5008 encoding/json names this field "-": typedFields must too.
		Dash   string `json:"-,"`
		hidden string // unexported: not decoded
	}
	_ = tagged{}.hidden
	var names []string
	for _, f := range typedFields(reflect.TypeFor[tagged]()) {
		names = append(names, string(f.quoted))
	}
	if got, want := strings.Join(names, " "), `"Plain" "named" "-"`; got != want {
		t.Errorf("fields %s, want %s", got, want)
	}
	type embedding struct{ tagged }
	defer func() {
		if recover() == nil {
			t.Error("an embedded struct was not refused")
		}
	}()
	typedFields(reflect.TypeFor[embedding]())
}

// A cached evaluation is keyed by the shape of the types it is read into:
// a field added or renamed, deep down, is another shape. The types below
// have the same names (declared in different functions), so only their
// fields tell them apart.
func TestTypeShape(t *testing.T) {
	base := func() []byte {
		type chart struct {
			Name string `json:"name"`
		}
		type release struct {
			Chart chart `json:"chart"`
		}
		return typeShape(reflect.TypeFor[map[string]*release]())
	}
	added := func() []byte {
		type chart struct {
			Name    string `json:"name"`
			Version string `json:"version"`
		}
		type release struct {
			Chart chart `json:"chart"`
		}
		return typeShape(reflect.TypeFor[map[string]*release]())
	}
	renamed := func() []byte {
		type chart struct {
			Name string `json:"chartName"`
		}
		type release struct {
			Chart chart `json:"chart"`
		}
		return typeShape(reflect.TypeFor[map[string]*release]())
	}
	if b, b2 := string(base()), string(base()); b != b2 {
		t.Errorf("the shape of one type is not stable: %s, %s", b, b2)
	}
	for name, other := range map[string]func() []byte{"field added": added, "field renamed": renamed} {
		if s := string(other()); s == string(base()) {
			t.Errorf("%s: the same shape %s", name, s)
		}
	}
}
