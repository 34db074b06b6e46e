package apkgen

import (
	"fmt"
	"path"
	"strings"

	"github.com/apkgen/apkgen/internal/kubeschema"
	"github.com/apkgen/apkgen/pkg/charts"
	"github.com/apkgen/apkgen/pkg/generate"
	"github.com/apkgen/apkgen/pkg/load"
	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/prove"
	"github.com/apkgen/apkgen/pkg/render"
	"github.com/apkgen/apkgen/pkg/tree"
)

// RenderOptions say where charts come from.
type RenderOptions struct {
	// ChartDir, when set, is the only place charts are looked for: a folder
	// of chart archives (.tgz) or unpacked charts. No network is used.
	ChartDir string
	// PlainHTTP talks to oci:// registries over plain HTTP.
	PlainHTTP bool
}

func (o RenderOptions) source() (*charts.Source, error) {
	if o.ChartDir != "" {
		if err := charts.CheckDir(o.ChartDir); err != nil {
			return nil, &UsageError{Msg: err.Error()}
		}
		return &charts.Source{Dir: o.ChartDir}, nil
	}
	// No cache folder when caching is off: every chart is pulled.
	return &charts.Source{CacheDir: charts.DefaultCacheDir(), PlainHTTP: o.PlainHTTP}, nil
}

// Hydrate renders every release of the plan, in environment and release
// order. A chart that cannot be had is a *charts.FetchError, a release that
// does not render a *render.Error.
func Hydrate(p *plan.Plan, o RenderOptions) ([]*prove.Release, error) {
	return hydrate(p, o, nil)
}

// hydrate is Hydrate of the environments on the clusters given, or of all
// when clusters is nil.
func hydrate(p *plan.Plan, o RenderOptions, clusters map[string]bool) ([]*prove.Release, error) {
	src, err := o.source()
	if err != nil {
		return nil, err
	}
	var out []*prove.Release
	for _, e := range p.Environments {
		if clusters != nil && !clusters[e.Cluster] {
			continue
		}
		for _, r := range e.Releases {
			ch, err := src.Get(r.Chart)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", e.Name, err)
			}
			in := render.Input{Chart: ch, Release: r, Namespace: e.Namespace, Engine: p.GitOps.Engine}
			res, err := render.Render(in)
			if err != nil {
				return nil, fmt.Errorf("environment %s: %w", e.Name, err)
			}
			out = append(out, &prove.Release{Env: e, Release: r, Input: in, Output: res})
		}
	}
	return out, nil
}

// RenderedTree lays the rendered releases out for teams that commit
// hydrated manifests: rendered/<env>/<release>/<kind>-<name>.yaml, one
// object per file, each namespaced object with the namespace helm install
// would give it.
func RenderedTree(rels []*prove.Release) (tree.Tree, error) {
	scopes := prove.Scopes(rels)
	t := tree.Tree{}
	for _, r := range rels {
		dir := path.Join(generate.RenderedDir, r.Env.Name, r.Release.Key)
		taken := map[string]bool{}
		for _, o := range r.Output.Objects {
			obj := o.Obj
			ns := prove.Placed(o, scopes[r.Env.Cluster], r.Env.Namespace)
			if ns != "" && o.Namespace() == "" {
				obj = withNamespace(obj, ns)
			}
			name := fileName(o, ns, r.Env.Namespace, taken)
			b, err := manifest.Encode(obj)
			if err != nil {
				return nil, fmt.Errorf("%s/%s: %w", dir, name, err)
			}
			t[dir+"/"+name] = b
		}
	}
	return t, nil
}

func withNamespace(obj map[string]any, ns string) map[string]any {
	out := make(map[string]any, len(obj))
	for k, v := range obj {
		out[k] = v
	}
	meta := map[string]any{}
	if m, ok := obj["metadata"].(map[string]any); ok {
		for k, v := range m {
			meta[k] = v
		}
	}
	meta["namespace"] = ns
	out["metadata"] = meta
	return out
}

// safeName is a file name made of an object's names, which come from the
// chart and the values: a separator in them (a value
// "../../victim") must not make a path out of the owned folder.
func safeName(name string) string {
	return strings.Map(func(r rune) rune {
		if r == '/' || r == '\\' || r < ' ' {
			return '_'
		}
		return r
	}, name)
}

// fileName is <kind>-<name>.yaml, prefixed with the namespace when it is
// not the release's; the group, then a number, tell apart what still
// clashes.
func fileName(o render.Object, ns, releaseNS string, taken map[string]bool) string {
	prefix, kind := "", strings.ToLower(o.Kind())
	if ns != "" && ns != releaseNS {
		prefix = ns + "-"
	}
	base := safeName(prefix + kind + "-" + o.Name())
	candidates := []string{base}
	if g := model.Group(o.APIVersion()); g != "" {
		candidates = append(candidates, safeName(prefix+kind+"."+g+"-"+o.Name()))
	}
	for _, c := range candidates {
		if !taken[c] {
			taken[c] = true
			return c + ".yaml"
		}
	}
	for i := 2; ; i++ {
		c := fmt.Sprintf("%s-%d", base, i)
		if !taken[c] {
			taken[c] = true
			return c + ".yaml"
		}
	}
}

// VerifyOptions say what to verify.
type VerifyOptions struct {
	File   string
	Load   load.Options
	Render RenderOptions
}

// VerifyResult is what verify found.
type VerifyResult struct {
	*Compiled
	Releases []*prove.Release
	Findings []prove.Finding
}

// Objects counts the rendered objects.
func (r *VerifyResult) Objects() int {
	n := 0
	for _, rel := range r.Releases {
		n += len(rel.Output.Objects)
	}
	return n
}

// Verify compiles the file, renders every release and runs every check.
func Verify(o VerifyOptions) (*VerifyResult, error) {
	c, err := CompileWith(o.File, o.Load)
	if err != nil {
		return nil, err
	}
	rels, err := Hydrate(c.Plan, o.Render)
	if err != nil {
		return nil, err
	}
	schemas, err := kubeschema.Builtin()
	if err != nil {
		return nil, &BugError{Err: err}
	}
	findings, err := Prove(c.Plan, rels, schemas)
	if err != nil {
		return nil, err
	}
	return &VerifyResult{Compiled: c, Releases: rels, Findings: findings}, nil
}

// Prove runs every check on the rendered releases, findings sorted.
func Prove(p *plan.Plan, rels []*prove.Release, schemas *kubeschema.Set) ([]prove.Finding, error) {
	var out []prove.Finding
	out = append(out, prove.Collisions(p, rels)...)
	out = append(out, prove.Namespaces(p, rels)...)
	out = append(out, prove.Schemas(schemas, rels)...)
	out = append(out, prove.Landings(rels)...)
	for _, r := range rels {
		f, err := prove.IgnoredValues(r)
		if err != nil {
			return nil, err
		}
		out = append(out, f...)
	}
	prove.Sort(out)
	return out, nil
}
