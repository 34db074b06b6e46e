package load

import (
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"strconv"
	"strings"
	"sync"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/internal/jsonnum"
	"github.com/apkgen/apkgen/pkg/model"
)

// An evaluated environment leaves CUE as JSON: the JSON is what the cache
// stores, so that an environment read from the cache and one evaluated now
// go through the same decoding and give the same Go values.

// evaluated is a pattern's input and output.
type evaluated struct {
	In  model.Input  `json:"in"`
	Out model.Output `json:"out"`
}

// exportEnv writes an evaluated pattern's `in` and `out` as JSON: only
// what evaluated decodes, so that CUE exports no more than Go reads (see
// appendTyped). The object's fields are entryLayout: the input, out's
// claims, and (unless claimsOnly) the whole of out. With claimsOnly, out
// holds only the claims (validate computes nothing else, and leaves unset
// what a policy may constrain beyond them). The claims come before out,
// and again within it, so that validate reads an evaluation a build
// stored without decoding, or even scanning, the values, objects and
// files it never reads.
func exportEnv(in, out cue.Value, claimsOnly bool) ([]byte, error) {
	b := append(make([]byte, 0, 1024), `{"in":`...)
	b, err := appendTyped(b, in, inputType)
	if err != nil {
		return nil, err
	}
	b = append(b, `,"claims":`...)
	if b, err = appendTyped(b, out, outputClaimsType); err != nil {
		return nil, err
	}
	if !claimsOnly {
		b = append(b, `,"out":`...)
		if b, err = appendTyped(b, out, outputType); err != nil {
			return nil, err
		}
	}
	return append(b, '}'), nil
}

// entryLayout names the fields of an exported evaluation, in order; it is
// part of every evaluation's cache key (exportShape).
const entryLayout = "in,claims,out"

// outputClaims is the part of model.Output that validate computes
// (#OutputClaims), and releaseClaims that of a model.Release.
type (
	outputClaims struct {
		ExclusiveCluster bool                      `json:"exclusiveCluster"`
		NotForProduction string                    `json:"notForProduction"`
		Releases         map[string]*releaseClaims `json:"releases"`
	}
	releaseClaims struct {
		Chart         model.Chart           `json:"chart"`
		ReleaseName   string                `json:"releaseName"`
		ClusterScoped []model.ClusterObject `json:"clusterScoped"`
	}
)

var (
	inputType        = reflect.TypeFor[model.Input]()
	outputType       = reflect.TypeFor[model.Output]()
	outputClaimsType = reflect.TypeFor[outputClaims]()
)

// appendTyped appends v as JSON, led by the Go type t that the JSON will be
// decoded into: a struct's fields are looked up by their JSON names and
// the others left out, lists and maps of typed elements are walked, and
// any other value (a scalar, or free-form data such as Helm values) is
// CUE's own JSON. For a value that passed Validate(cue.Concrete(true)),
// as eval's do first, the JSON decodes into t as v.MarshalJSON()'s would,
// without exporting what t has no field for, and without the field
// ordering CUE computes for every struct it exports (a map's keys still
// come from Fields, which orders them). A field CUE does not have as a
// regular field (absent, optional) is left out, as MarshalJSON leaves it
// out. Field names match the JSON tags exactly, not case-insensitively as
// encoding/json would also accept: CUE's names are apkgen's own.
func appendTyped(b []byte, v cue.Value, t reflect.Type) ([]byte, error) {
	kind := v.Kind()
	switch t.Kind() {
	case reflect.Pointer:
		return appendTyped(b, v, t.Elem())
	case reflect.Struct:
		if kind != cue.StructKind {
			break // e.g. null: decoded as MarshalJSON's would be
		}
		b = append(b, '{')
		first := true
		for _, f := range typedFields(t) {
			fv := v.LookupPath(f.path)
			if !fv.Exists() {
				continue
			}
			if !first {
				b = append(b, ',')
			}
			first = false
			b = append(append(b, f.quoted...), ':')
			var err error
			if b, err = appendTyped(b, fv, f.typ); err != nil {
				return nil, err
			}
		}
		return append(b, '}'), nil
	case reflect.Slice:
		if kind != cue.ListKind || t.Elem().Kind() == reflect.Interface || t.Elem().Kind() == reflect.Map {
			break
		}
		it, err := v.List()
		if err != nil {
			return nil, err
		}
		return appendElems(b, &it, false, t.Elem())
	case reflect.Map:
		if kind != cue.StructKind || t.Elem().Kind() == reflect.Interface {
			break
		}
		it, err := v.Fields()
		if err != nil {
			return nil, err
		}
		return appendElems(b, it, true, t.Elem())
	case reflect.String:
		// String and Bool read a concrete value without the evaluation
		// context every other call of CUE's API makes anew.
		if s, err := v.String(); err == nil {
			return appendJSONString(b, s), nil
		}
	case reflect.Bool:
		if x, err := v.Bool(); err == nil {
			return strconv.AppendBool(b, x), nil
		}
	}
	j, err := v.MarshalJSON()
	if err != nil {
		return nil, err
	}
	return append(b, j...), nil
}

// exportShape describes the Go types exportEnv exports for. A cached
// evaluation holds only what they read, so a change to them must miss the
// entries written before it: the shape is part of every evaluation's key.
var exportShape = sync.OnceValue(func() []byte {
	return append(typeShape(inputType, outputType, outputClaimsType), entryLayout...)
})

// typeShape spells out types as appendTyped reads them: each type's name
// and, for a struct, its fields' JSON names and types, recursively.
func typeShape(types ...reflect.Type) []byte {
	var b []byte
	seen := map[reflect.Type]bool{}
	var walk func(t reflect.Type)
	walk = func(t reflect.Type) {
		b = append(b, t.String()...)
		if seen[t] {
			return // a type that holds itself is spelt out once
		}
		seen[t] = true
		switch t.Kind() {
		case reflect.Pointer, reflect.Slice, reflect.Map:
			b = append(b, '(')
			walk(t.Elem())
			b = append(b, ')')
		case reflect.Struct:
			b = append(b, '{')
			for _, f := range typedFields(t) {
				b = append(b, f.quoted...)
				walk(f.typ)
				b = append(b, ';')
			}
			b = append(b, '}')
		}
	}
	for _, t := range types {
		walk(t)
	}
	return b
}

// appendJSONString appends s as a JSON string.
func appendJSONString(b []byte, s string) []byte {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' {
			j, _ := json.Marshal(s) // a string always marshals
			return append(b, j...)
		}
	}
	b = append(b, '"')
	b = append(b, s...)
	return append(b, '"')
}

// appendElems appends what it iterates over, elements of Go type t: as a
// JSON object when keyed (a struct's fields), else as an array.
func appendElems(b []byte, it *cue.Iterator, keyed bool, t reflect.Type) ([]byte, error) {
	open, close := byte('['), byte(']')
	if keyed {
		open, close = '{', '}'
	}
	b = append(b, open)
	for i := 0; it.Next(); i++ {
		if i > 0 {
			b = append(b, ',')
		}
		if keyed {
			b = append(appendJSONString(b, it.Selector().Unquoted()), ':')
		}
		var err error
		if b, err = appendTyped(b, it.Value(), t); err != nil {
			return nil, err
		}
	}
	return append(b, close), nil
}

// typedField is a struct field as appendTyped reads it.
type typedField struct {
	path   cue.Path
	quoted []byte // the JSON name, quoted
	typ    reflect.Type
}

var typedFieldCache sync.Map // reflect.Type -> []typedField

// typedFields lists the fields of struct type t that encoding/json decodes.
// The model embeds no struct: one would need its fields promoted, as
// encoding/json does, and is refused until this does it too.
func typedFields(t reflect.Type) []typedField {
	if fs, ok := typedFieldCache.Load(t); ok {
		return fs.([]typedField)
	}
	var fs []typedField
	for f := range t.Fields() {
		if f.Anonymous {
			panic(fmt.Sprintf("load: %s embeds %s: exportEnv does not promote embedded fields", t, f.Type))
		}
		tag := f.Tag.Get("json")
		name, _, _ := strings.Cut(tag, ",")
		if !f.IsExported() || tag == "-" {
			continue
		}
		if name == "" {
			name = f.Name
		}
		fs = append(fs, typedField{path: cue.MakePath(cue.Str(name)), quoted: appendJSONString(nil, name), typ: f.Type})
	}
	typedFieldCache.Store(t, fs)
	return fs
}

// decodeEnv reads exportEnv's JSON, numbers as cue.Value.Decode makes
// them. With claimsOnly (validate), only the input and the claims, which
// lead the entry: of an entry of a complete evaluation, which a build
// stores and validate then reads, the rest is not read at all.
// Every pattern computes at least one release: an entry without any is
// not an evaluation (a stale or damaged cache entry), and is refused.
func decodeEnv(data []byte, claimsOnly bool) (*evaluated, error) {
	ev := &evaluated{}
	if claimsOnly {
		var claims outputClaims
		if err := jsonnum.UnmarshalLeading(data, false,
			jsonnum.Field{Name: "in", V: &ev.In}, jsonnum.Field{Name: "claims", V: &claims}); err != nil {
			return nil, err
		}
		ev.Out = claims.output()
	} else if err := jsonnum.UnmarshalLeading(data, true, jsonnum.Field{Name: "in", V: &ev.In},
		jsonnum.Field{Name: "claims"}, jsonnum.Field{Name: "out", V: &ev.Out}); err != nil {
		return nil, err
	}
	if len(ev.Out.Releases) == 0 {
		return nil, errors.New("an evaluated environment without releases")
	}
	return ev, nil
}

// output is the claims as the model.Output they are part of.
func (c outputClaims) output() model.Output {
	out := model.Output{ExclusiveCluster: c.ExclusiveCluster, NotForProduction: c.NotForProduction}
	if c.Releases != nil {
		out.Releases = make(map[string]*model.Release, len(c.Releases))
	}
	for key, r := range c.Releases {
		out.Releases[key] = &model.Release{Chart: r.Chart, ReleaseName: r.ReleaseName, ClusterScoped: r.ClusterScoped}
	}
	return out
}
