package schema

import (
	"encoding/json"
	"fmt"
	"sort"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
	"cuelang.org/go/encoding/jsonschema"
)

// JSONSchema returns the JSON Schema of the environments file for
// yaml-language-server and other editors, generated from the CUE: #File,
// with each environment one of the patterns' environment definitions.
func JSONSchema() ([]byte, error) {
	ctx := cuecontext.New()
	sch, err := Build(ctx)
	if err != nil {
		return nil, err
	}
	file, err := generate(ctx, sch.LookupPath(cue.MakePath(cue.Def("File"))))
	if err != nil {
		return nil, err
	}
	defs, _ := file["$defs"].(map[string]any)
	if defs == nil {
		defs = map[string]any{}
	}
	patterns := sch.LookupPath(cue.MakePath(cue.Def("Patterns")))
	it, err := patterns.Fields()
	if err != nil {
		return nil, err
	}
	var envs []any
	for it.Next() {
		pattern := it.Selector().Unquoted()
		env, err := generate(ctx, it.Value().LookupPath(cue.ParsePath("in")))
		if err != nil {
			return nil, fmt.Errorf("pattern %s: %w", pattern, err)
		}
		for k, v := range env["$defs"].(map[string]any) {
			defs[k] = v
		}
		delete(env, "$defs")
		delete(env, "$schema")
		env["description"] = "An environment of pattern " + pattern + " (docs/reference.md, section 3)."
		envs = append(envs, env)
	}
	sort.Slice(envs, func(i, j int) bool { return fmt.Sprint(envs[i]) < fmt.Sprint(envs[j]) })
	props, ok := file["properties"].(map[string]any)
	if !ok {
		return nil, fmt.Errorf("generating the JSON Schema: #File has no properties")
	}
	props["environments"] = map[string]any{
		"type":                 "object",
		"additionalProperties": map[string]any{"oneOf": envs},
	}
	delete(file, "$defs")
	file = flatten(file, defs).(map[string]any)
	dropDefinitionNotes(file)
	file["title"] = "apkgen environments file"
	file["description"] = "The clusters of a platform and the environments of WSO2 APK deployed on them (docs/reference.md)."
	out, err := json.MarshalIndent(file, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(out, '\n'), nil
}

// dropDefinitionNotes removes the descriptions that come from comments on
// CUE definitions ("#Name is ..."): they are notes for apkgen's developers,
// not for a user reading an editor's tooltip. Comments on fields stay.
func dropDefinitionNotes(n any) {
	switch x := n.(type) {
	case []any:
		for _, v := range x {
			dropDefinitionNotes(v)
		}
	case map[string]any:
		if d, ok := x["description"].(string); ok && strings.HasPrefix(d, "#") {
			delete(x, "description")
		}
		for _, v := range x {
			dropDefinitionNotes(v)
		}
	}
}

// generate turns one CUE definition into a JSON Schema document.
func generate(ctx *cue.Context, v cue.Value) (map[string]any, error) {
	expr, err := jsonschema.Generate(v, nil)
	if err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	var doc map[string]any
	if err := ctx.BuildExpr(expr).Decode(&doc); err != nil {
		return nil, fmt.Errorf("generating the JSON Schema: %w", err)
	}
	// #File is a reference: inline its definition at the top.
	if ref, ok := doc["$ref"].(string); ok && len(doc) <= 3 {
		name := ref[len("#/$defs/"):]
		defs, _ := doc["$defs"].(map[string]any)
		if top, ok := defs[name].(map[string]any); ok {
			top["$defs"] = defs
			top["$schema"] = doc["$schema"]
			return top, nil
		}
	}
	return doc, nil
}

// flatten inlines references and merges allOf into one object schema. CUE
// embedding generates allOf of closed objects, which JSON Schema reads as
// "no object can match both"; merged, they say what CUE means.
func flatten(n any, defs map[string]any) any {
	switch x := n.(type) {
	case []any:
		out := make([]any, len(x))
		for i, v := range x {
			out[i] = flatten(v, defs)
		}
		return out
	case map[string]any:
		merged := map[string]any{}
		var parts []map[string]any
		for k, v := range x {
			switch k {
			case "allOf":
				for _, item := range v.([]any) {
					parts = append(parts, flatten(item, defs).(map[string]any))
				}
			case "$ref":
				name := strings.TrimPrefix(v.(string), "#/$defs/")
				parts = append(parts, flatten(defs[name], defs).(map[string]any))
			default:
				merged[k] = flatten(v, defs)
			}
		}
		for _, p := range parts {
			merged = mergeSchemas(merged, p)
		}
		return merged
	}
	return n
}

// mergeSchemas is the conjunction of two object schemas.
func mergeSchemas(a, b map[string]any) map[string]any {
	out := map[string]any{}
	for k, v := range a {
		out[k] = v
	}
	for k, v := range b {
		switch k {
		case "properties":
			props := map[string]any{}
			if ap, ok := out[k].(map[string]any); ok {
				for pk, pv := range ap {
					props[pk] = pv
				}
			}
			for pk, pv := range v.(map[string]any) {
				if prev, ok := props[pk].(map[string]any); ok {
					props[pk] = mergeSchemas(prev, pv.(map[string]any))
				} else {
					props[pk] = pv
				}
			}
			out[k] = props
		case "required":
			seen := map[string]bool{}
			var req []any
			for _, list := range []any{out[k], v} {
				items, _ := list.([]any)
				for _, r := range items {
					if !seen[r.(string)] {
						seen[r.(string)] = true
						req = append(req, r)
					}
				}
			}
			sort.Slice(req, func(i, j int) bool { return req[i].(string) < req[j].(string) })
			out[k] = req
		case "type":
			// Both hold: an integer is the narrower of integer and number.
			if v == "integer" || out[k] == nil {
				out[k] = v
			}
		case "additionalProperties":
			if v == false || out[k] == false {
				out[k] = false
			} else if _, ok := out[k]; !ok {
				out[k] = v
			}
		default:
			if _, ok := out[k]; !ok {
				out[k] = v
			}
		}
	}
	return out
}
