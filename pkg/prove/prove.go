// Package prove checks what the releases of a plan render, before anything
// reaches a cluster: no two releases of a cluster own the same object, no
// release renders into another environment's namespace, every object of a
// kind with a schema is valid, and the values apkgen sets reach the
// rendered objects (the declared landings, and no value the chart ignores).
package prove

import (
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/apkgen/apkgen/internal/kubeschema"
	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/pkg/plan"
	"github.com/apkgen/apkgen/pkg/render"
)

// Checks, as findings name them.
const (
	Collision = "collision"
	Namespace = "namespace"
	Schema    = "schema"
	Landing   = "landing"
	Ignored   = "ignored"
)

// Release is one release of an environment, rendered.
type Release struct {
	Env     *plan.Environment
	Release *plan.Release
	// Input renders it again (with other values, for the ignored check).
	Input  render.Input
	Output *render.Output
}

// Owner names the release as findings do: "dev (release apk-dev)".
func (r *Release) Owner() string {
	return fmt.Sprintf("%s (release %s)", r.Env.Name, r.Release.ReleaseName)
}

// Finding is one failed check. Its message names the environments and the
// object.
type Finding struct {
	Check   string
	Cluster string
	Envs    []string // the environments involved, sorted
	Object  string   // "Kind name", when one object is at fault
	Message string
}

func (f Finding) String() string { return f.Check + ": " + f.Message }

// Sort orders findings by check, cluster and message.
func Sort(fs []Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.Check != b.Check {
			return a.Check < b.Check
		}
		if a.Cluster != b.Cluster {
			return a.Cluster < b.Cluster
		}
		return a.Message < b.Message
	})
}

// Scopes learns the scope of the kinds of every CRD rendered for a cluster.
func Scopes(rels []*Release) map[string]*render.Scopes {
	out := map[string]*render.Scopes{}
	for _, r := range rels {
		s := out[r.Env.Cluster]
		if s == nil {
			s = &render.Scopes{}
			out[r.Env.Cluster] = s
		}
		for _, o := range r.Output.Objects {
			s.Learn(o)
		}
	}
	return out
}

// Placed is the namespace an object lands in: "" for a cluster-scoped
// kind, the one it names, or the release's (as helm install places it).
func Placed(o render.Object, scopes *render.Scopes, releaseNS string) string {
	if scopes.ClusterScoped(o.APIVersion(), o.Kind()) {
		return ""
	}
	if ns := o.Namespace(); ns != "" {
		return ns
	}
	return releaseNS
}

type owner struct {
	env, label string
}

// Collisions finds objects that two owners of one cluster render: two
// releases, or a release and the objects apkgen writes itself (an
// environment's issuers, the cluster's infrastructure). Hooks count: the
// API server refuses a second object of the same name all the same.
func Collisions(p *plan.Plan, rels []*Release) []Finding {
	scopes := Scopes(rels)
	type key struct{ cluster, group, kind, ns, name string }
	owners := map[key][]owner{}
	// add records that ow renders o in cluster, in namespace ns when o is
	// namespaced and sets none.
	add := func(cluster string, o render.Object, ns string, ow owner) {
		k := key{cluster, model.Group(o.APIVersion()), o.Kind(), Placed(o, scopes[cluster], ns), o.Name()}
		if !slices.Contains(owners[k], ow) {
			owners[k] = append(owners[k], ow)
		}
	}
	for _, r := range rels {
		for _, o := range r.Output.Objects {
			add(r.Env.Cluster, o, r.Env.Namespace, owner{r.Env.Name, r.Owner()})
		}
	}
	for _, e := range p.Environments {
		ow := owner{e.Name, e.Name + " (apkgen's objects)"}
		// apps/<env>/namespace.yaml creates the namespace.
		add(e.Cluster, render.Object{Obj: plan.Namespace(e.Namespace)}, "", ow)
		for _, obj := range e.Objects {
			add(e.Cluster, render.Object{Obj: obj}, e.Namespace, ow)
		}
	}
	for _, c := range p.Clusters {
		infra := owner{"", "the infrastructure of cluster " + c.Name}
		// The infrastructure creates the namespaces of the cluster's
		// releases and the objects they share.
		for _, r := range c.Releases {
			add(c.Name, render.Object{Obj: plan.Namespace(r.Namespace)}, "", infra)
		}
		for _, obj := range c.Objects {
			add(c.Name, render.Object{Obj: obj}, "", infra)
		}
	}
	var out []Finding
	for k, os := range owners {
		if len(os) < 2 {
			continue
		}
		var labels, envs []string
		for _, o := range os {
			labels = append(labels, o.label)
			if o.env != "" {
				envs = append(envs, o.env)
			}
		}
		sort.Strings(labels)
		obj := k.kind + " " + k.name
		where := ""
		if k.ns != "" {
			where = " in namespace " + k.ns
		}
		out = append(out, Finding{
			Check: Collision, Cluster: k.cluster, Envs: uniq(envs), Object: obj,
			Message: fmt.Sprintf("cluster %s: %s%s is rendered by %s; the second install fails (invalid ownership metadata) or takes it over",
				k.cluster, obj, where, and(labels)),
		})
	}
	Sort(out)
	return out
}

// Namespaces finds objects a release renders into the namespace of
// another environment of its cluster.
func Namespaces(p *plan.Plan, rels []*Release) []Finding {
	scopes := Scopes(rels)
	nsOwner := map[[2]string]string{} // cluster, namespace → environment
	for _, e := range p.Environments {
		nsOwner[[2]string{e.Cluster, e.Namespace}] = e.Name
	}
	var out []Finding
	for _, r := range rels {
		for _, o := range r.Output.Objects {
			ns := Placed(o, scopes[r.Env.Cluster], r.Env.Namespace)
			other, ok := nsOwner[[2]string{r.Env.Cluster, ns}]
			if ns == "" || ns == r.Env.Namespace || !ok || other == r.Env.Name {
				continue
			}
			out = append(out, Finding{
				Check: Namespace, Cluster: r.Env.Cluster, Envs: uniq([]string{r.Env.Name, other}), Object: o.String(),
				Message: fmt.Sprintf("%s renders %s into namespace %s, which is environment %s's",
					r.Owner(), o, ns, other),
			})
		}
	}
	Sort(out)
	return out
}

// Schemas validates every rendered object whose kind has a schema in set.
func Schemas(set *kubeschema.Set, rels []*Release) []Finding {
	var out []Finding
	for _, r := range rels {
		for _, o := range r.Output.Objects {
			err := set.Validate(o.Obj)
			if err == nil || errors.Is(err, kubeschema.ErrNoSchema) {
				continue
			}
			out = append(out, Finding{
				Check: Schema, Cluster: r.Env.Cluster, Envs: []string{r.Env.Name}, Object: o.String(),
				Message: fmt.Sprintf("%s renders an invalid %s: %v", r.Owner(), o, err),
			})
		}
	}
	Sort(out)
	return out
}

// Landings checks the values each release declares must land (plan
// Release.Lands): the gateway hostname on a Gateway listener, the
// apiNamespaces in the operators' ConfigMaps.
func Landings(rels []*Release) []Finding {
	var out []Finding
	for _, r := range rels {
		for _, l := range r.Release.Lands {
			if landed(r.Output.Objects, l) {
				continue
			}
			target := "any " + l.Kind
			if l.Name != "" {
				target = l.Kind + " " + l.Name
			}
			out = append(out, Finding{
				Check: Landing, Cluster: r.Env.Cluster, Envs: []string{r.Env.Name}, Object: strings.TrimPrefix(target, "any "),
				Message: fmt.Sprintf("%s: %s %q is not in %s (at %s) of chart %s %s",
					r.Owner(), l.What, l.Value, target, l.In, r.Release.Chart.Name, r.Release.Chart.Version),
			})
		}
	}
	Sort(out)
	return out
}

func landed(objs []render.Object, l plan.Landing) bool {
	for _, o := range objs {
		if o.Kind() != l.Kind || (l.Name != "" && o.Name() != l.Name) {
			continue
		}
		for _, s := range stringsAt(o.Obj, strings.Split(l.In, ".")) {
			if s == l.Value || strings.Contains(s, fmt.Sprintf("%q", l.Value)) {
				return true
			}
		}
	}
	return false
}

// stringsAt collects the strings under path; lists are looked through.
func stringsAt(v any, path []string) []string {
	switch v := v.(type) {
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsAt(e, path)...)
		}
		return out
	case map[string]any:
		if len(path) == 0 || path[0] == "" {
			var out []string
			for _, e := range v {
				out = append(out, stringsAt(e, nil)...)
			}
			return out
		}
		return stringsAt(v[path[0]], path[1:])
	case string:
		if len(path) == 0 {
			return []string{v}
		}
	}
	return nil
}

func uniq(ss []string) []string {
	sort.Strings(ss)
	var out []string
	for i, s := range ss {
		if i == 0 || s != ss[i-1] {
			out = append(out, s)
		}
	}
	return out
}

// and joins words: "a", "a and b", "a, b and c".
func and(ss []string) string {
	switch len(ss) {
	case 0:
		return ""
	case 1:
		return ss[0]
	}
	return strings.Join(ss[:len(ss)-1], ", ") + " and " + ss[len(ss)-1]
}
