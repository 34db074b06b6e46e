package prove

import (
	"bytes"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"

	"github.com/apkgen/apkgen/pkg/render"
)

// IgnoredValues finds the values of a release that change nothing the
// chart renders: a key the chart does not read (the docs' apiNamespaces
// path without `.deployment.`), or one it reads only where other values
// switched off. Every leaf of the release's values counts, apkgen's and the
// environment's `values:` alike; a list of scalars is one leaf.
//
// Renders are deterministic, so "changes nothing" is a byte comparison
// with the release's own render (baseline). To stay cheap:
//
//  1. One render with every string leaf replaced by a unique token
//     (apkgenprobeNNNN): a leaf whose token shows in the output is read.
//     That settles most leaves (names, hostnames, namespaces) at once.
//  2. Each leaf left (booleans, numbers, strings the chart transforms or
//     does not print, and every leaf when step 1 fails to render) is
//     changed alone (a token, the negation, n+1); then removed, so the
//     chart's default applies. A changed output, or a render error, shows
//     the chart reads it. A leaf is reported only when both renders are
//     byte-identical to the baseline.
//
// The cost is 2 + about 2 renders per leaf that step 1 does not settle.
func IgnoredValues(r *Release) ([]Finding, error) {
	base, err := r.Output.Bytes()
	if err != nil {
		return nil, err
	}
	leaves := leavesOf(r.Release.Values, nil)
	if len(leaves) == 0 {
		return nil, nil
	}
	p := &prober{r: r, base: base}
	settled := map[int]bool{}
	tokenized := r.Release.Values
	tokens := map[int][]string{}
	for i, l := range leaves {
		v, toks := p.tokenize(l.value)
		if len(toks) == 0 {
			continue
		}
		tokens[i] = toks
		tokenized = setAt(tokenized, l.path, v)
	}
	if len(tokens) > 0 {
		if out, err := p.render(tokenized); err == nil {
			for i, toks := range tokens {
				for _, t := range toks {
					if bytes.Contains(out, []byte(t)) {
						settled[i] = true
						break
					}
				}
			}
		}
	}
	var out []Finding
	for i, l := range leaves {
		if settled[i] {
			continue
		}
		changed, _ := p.tokenize(l.value)
		if !p.same(setAt(r.Release.Values, l.path, perturb(changed))) {
			continue
		}
		if !p.same(removeAt(r.Release.Values, l.path)) {
			continue
		}
		out = append(out, Finding{
			Check: Ignored, Cluster: r.Env.Cluster, Envs: []string{r.Env.Name}, Object: "values." + pathString(l.path),
			Message: fmt.Sprintf("%s: value %s = %s changes nothing chart %s %s renders: it is not read, or only where other values switch it off",
				r.Owner(), pathString(l.path), compact(l.value), r.Release.Chart.Name, r.Release.Chart.Version),
		})
	}
	return out, nil
}

type prober struct {
	r    *Release
	base []byte
	n    int
}

func (p *prober) render(values map[string]any) ([]byte, error) {
	out, err := render.RenderValues(p.r.Input, values)
	if err != nil {
		return nil, err
	}
	return out.Bytes()
}

// same reports whether the values render exactly the baseline; a render
// error means the chart read what changed.
func (p *prober) same(values map[string]any) bool {
	out, err := p.render(values)
	return err == nil && bytes.Equal(out, p.base)
}

// tokenize replaces a string, or the strings of a list, with fresh tokens
// of one width, so that no token is part of another.
func (p *prober) tokenize(v any) (any, []string) {
	switch v := v.(type) {
	case string:
		t := p.token()
		return t, []string{t}
	case []any:
		out := make([]any, len(v))
		var toks []string
		for i, e := range v {
			out[i] = e
			if _, ok := e.(string); ok {
				t := p.token()
				out[i] = t
				toks = append(toks, t)
			}
		}
		return out, toks
	}
	return v, nil
}

func (p *prober) token() string {
	p.n++
	return fmt.Sprintf("apkgenprobe%04d", p.n)
}

// perturb changes what tokenize could not: booleans and numbers.
func perturb(v any) any {
	switch v := v.(type) {
	case bool:
		return !v
	case int:
		return v + 1
	case int64:
		return v + 1
	case float64:
		return v + 1
	case []any:
		out := make([]any, len(v))
		for i, e := range v {
			out[i] = perturb(e)
		}
		return out
	}
	return v
}

type leaf struct {
	path  []any // string keys and int indices
	value any
}

// leavesOf lists the leaves of values in a stable order: scalars, and
// lists of scalars as one leaf; maps and lists of maps are descended.
// Empty maps and lists and nulls are not leaves: there is nothing to change.
func leavesOf(v any, path []any) []leaf {
	switch v := v.(type) {
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		var out []leaf
		for _, k := range keys {
			out = append(out, leavesOf(v[k], append(append([]any{}, path...), k))...)
		}
		return out
	case []any:
		if len(v) == 0 {
			return nil
		}
		scalars := true
		for _, e := range v {
			switch e.(type) {
			case map[string]any, []any:
				scalars = false
			}
		}
		if scalars {
			return []leaf{{path: path, value: v}}
		}
		var out []leaf
		for i, e := range v {
			out = append(out, leavesOf(e, append(append([]any{}, path...), i))...)
		}
		return out
	case nil:
		return nil
	}
	return []leaf{{path: path, value: v}}
}

// setAt returns a copy of root with the value at path replaced.
func setAt(root map[string]any, path []any, v any) map[string]any {
	return edit(root, path, func(any) (any, bool) { return v, true }).(map[string]any)
}

// removeAt returns a copy of root without the value at path.
func removeAt(root map[string]any, path []any) map[string]any {
	return edit(root, path, func(any) (any, bool) { return nil, false }).(map[string]any)
}

// edit copies the containers along path and applies f at its end; f's
// false removes the value.
func edit(node any, path []any, f func(any) (any, bool)) any {
	if len(path) == 0 {
		v, _ := f(node)
		return v
	}
	switch n := node.(type) {
	case map[string]any:
		k := path[0].(string)
		out := make(map[string]any, len(n))
		for kk, vv := range n {
			out[kk] = vv
		}
		if len(path) == 1 {
			if v, keep := f(n[k]); keep {
				out[k] = v
			} else {
				delete(out, k)
			}
			return out
		}
		out[k] = edit(n[k], path[1:], f)
		return out
	case []any:
		i := path[0].(int)
		out := append([]any{}, n...)
		if len(path) == 1 {
			if v, keep := f(n[i]); keep {
				out[i] = v
			} else {
				out = append(out[:i], out[i+1:]...)
			}
			return out
		}
		out[i] = edit(n[i], path[1:], f)
		return out
	}
	return node
}

func pathString(path []any) string {
	var b strings.Builder
	for _, p := range path {
		switch p := p.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(p)
		case int:
			b.WriteString("[" + strconv.Itoa(p) + "]")
		}
	}
	return b.String()
}

func compact(v any) string {
	b, err := json.Marshal(v)
	if err != nil {
		return fmt.Sprint(v)
	}
	return string(b)
}
