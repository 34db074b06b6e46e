package load

import (
	"fmt"
	"maps"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/internal/suggest"
	"github.com/apkgen/apkgen/pkg/diag"
	"github.com/apkgen/apkgen/pkg/model"
)

// reservedNamespaces belong to Kubernetes, the GitOps engines or the
// cert-manager apkgen installs: an environment's tree creates its
// namespace, and prunes it when the environment is removed.
var reservedNamespaces = map[string]string{
	"default":         "Kubernetes' default namespace",
	"kube-system":     "Kubernetes' own",
	"kube-public":     "Kubernetes' own",
	"kube-node-lease": "Kubernetes' own",
	"flux-system":     "Flux's own",
	"argocd":          "Argo CD's own",
	"cert-manager":    "cert-manager's, which apkgen installs once per cluster",
}

// looksLikeProduction matches environment and namespace names of production.
var looksLikeProduction = regexp.MustCompile(`(^|[-.])(prod|production|prd|live)([-.]|$)`)

// crossChecks are the rules no single environment can see. Each error
// names both places. partial are the environments with errors of their
// own, holding only what they say as written (cluster, namespace,
// hostnames): the rules on those fields see them too, so that one run
// reports every mistake; the rules on what a pattern computes see only
// f.Envs.
func crossChecks(r *reporter, f *File, partial []*Env) diag.List {
	var diags diag.List
	pos := func(env string, field ...string) diag.Pos {
		return r.lookupPos(append([]string{"environments", env}, field...))
	}
	path := func(env string, field ...string) string {
		return joinPath(append([]string{"environments", env}, field...))
	}

	// Names that must be unique among the environments of a cluster.
	type claim struct {
		env   string
		field []string
		// derived, when set, says how the name follows from the field's
		// value (an environment's sandbox hostname from its gateway's).
		derived string
	}
	claimed := map[string]claim{}
	// An environment that needs its cluster to itself and does not have it
	// is one error; the names it shares with its neighbours follow from it
	// (those its neighbours share among themselves are errors still).
	crowding := map[string]bool{}
	// claimName reports whether value was claimed before, by another
	// environment of the cluster (and says so), else claims it.
	claimName := func(e *Env, what, value, derived string, field ...string) bool {
		if value == "" || crowding[e.Name] {
			return false // absent or not a string: an error of its own; or crowding
		}
		key := what + "\x00" + e.Cluster + "\x00" + value
		prev, ok := claimed[key]
		if !ok || prev.env == e.Name {
			claimed[key] = claim{env: e.Name, field: field, derived: derived}
			return false
		}
		name := what
		if derived != "" {
			name = "its " + derived
		}
		theirs := fmt.Sprintf("used by environment %q at %s", prev.env, pos(prev.env, prev.field...))
		if prev.derived != "" {
			theirs = fmt.Sprintf("the %s of environment %q, whose %s is at %s",
				prev.derived, prev.env, prev.field[len(prev.field)-1], pos(prev.env, prev.field...))
		}
		diags.Errorf(pos(e.Name, field...), path(e.Name, field...),
			"%s %q is also %s; environments on cluster %q need different ones", name, value, theirs, e.Cluster)
		return true
	}
	unique := func(e *Env, what, value string, field ...string) { claimName(e, what, value, "", field...) }
	// Cluster-scoped objects are claimed by name glob: two environments of
	// a cluster must not be able to create the same one.
	type object struct {
		model.ClusterObject
		env string
	}
	objects := map[string][]object{} // by cluster, group and kind
	claimObjects := func(e *Env, release *model.Release) {
		if crowding[e.Name] {
			return
		}
		kindOn := func(o model.ClusterObject) string { return e.Cluster + "\x00" + o.Group + "\x00" + o.Kind }
		for _, o := range release.ClusterScoped {
			for _, prev := range objects[kindOn(o)] {
				if prev.env != e.Name && GlobsOverlap(prev.Name, o.Name) {
					diags.Errorf(pos(e.Name), path(e.Name),
						"its %s %q and the %s %q of environment %q (%s) can be the same object on cluster %q; rename one environment",
						o.Kind, o.Name, prev.Kind, prev.Name, prev.env, pos(prev.env), e.Cluster)
					return
				}
			}
		}
		for _, o := range release.ClusterScoped {
			objects[kindOn(o)] = append(objects[kindOn(o)], object{o, e.Name})
		}
	}

	all := slices.Concat(f.Envs, partial)
	slices.SortFunc(all, func(a, b *Env) int { return strings.Compare(a.Name, b.Name) })
	onCluster := map[string][]*Env{}
	for _, e := range all {
		onCluster[e.Cluster] = append(onCluster[e.Cluster], e)
	}
	for _, e := range f.Envs {
		if e.Out.ExclusiveCluster && len(onCluster[e.Cluster]) > 1 {
			crowding[e.Name] = true
		}
	}
	clustersDeclared := r.doc.LookupPath(cue.ParsePath("clusters")).Exists()
	engine, _ := r.doc.LookupPath(cue.ParsePath("gitops.engine")).String()
	var known map[string][]string // #KnownVersions
	_ = f.Schema.LookupPath(cue.MakePath(cue.Def("KnownVersions"))).Decode(&known)
	var problems map[string]map[string]string // #VersionProblems
	_ = f.Schema.LookupPath(cue.MakePath(cue.Def("VersionProblems"))).Decode(&problems)
	// The environments as decoded: positions are looked up only for errors.
	for _, e := range all {
		if clustersDeclared && e.Cluster != "" && !slices.Contains(f.Clusters, e.Cluster) {
			declared := strings.Join(f.Clusters, ", ")
			if declared == "" {
				declared = "none"
			}
			hint := ""
			if m := suggest.Closest(e.Cluster, f.Clusters); m != "" {
				hint = fmt.Sprintf("; did you mean %q?", m)
			}
			diags.Errorf(pos(e.Name, "cluster"), path(e.Name, "cluster"),
				"cluster %q is not declared under clusters (declared: %s)%s", e.Cluster, declared, hint)
		}
		if owner, ok := reservedNamespaces[e.In.Namespace]; ok {
			diags.Errorf(pos(e.Name, "namespace"), path(e.Name, "namespace"),
				"namespace %q is %s; give the environment a namespace of its own "+
					"(its tree creates the namespace, and removing the environment prunes it)", e.In.Namespace, owner)
		}
		unique(e, "namespace", e.In.Namespace, "namespace")
		// Every pattern serves sandbox traffic on sandbox.<gateway> (the
		// configdeployer's sandbox vhost and its certificate): that name is
		// the environment's too.
		gw := e.In.Hostnames.Gateway
		if !claimName(e, "hostname", gw, "", "hostnames", "gateway") && gw != "" {
			claimName(e, "hostname", "sandbox."+gw, "sandbox hostname (sandbox.<gateway>)", "hostnames", "gateway")
		}
		unique(e, "hostname", e.In.Hostnames.System, "hostnames", "system")
	}
	for _, e := range f.Envs {
		if engine != "argocd" {
			for _, key := range slices.Sorted(maps.Keys(e.In.Values)) {
				p := []string{"environments", e.Name, "values", key}
				diags = append(diags, fluxValues(r, e.In.Values[key], f.Bases[key].Values, p)...)
			}
		}
		keys := slices.Sorted(maps.Keys(e.Out.Releases))
		for _, key := range slices.Sorted(maps.Keys(e.In.Values)) {
			if e.Out.Releases[key] == nil {
				diags.Errorf(pos(e.Name, "values", key), path(e.Name, "values", key),
					"pattern %s has no release %q (its releases: %s)", e.Pattern, key, strings.Join(keys, ", "))
			}
		}
		for _, key := range keys {
			rel := e.Out.Releases[key]
			unique(e, "Helm release name", rel.ReleaseName)
			claimObjects(e, rel)
			diags = append(diags, checkVersion(r, known[key], problems[key][rel.Chart.Version], e, key, rel.Chart.Version, rel.Chart.Name)...)
		}
		if e.Out.NotForProduction != "" {
			// Say what looks like production: the name, else the namespace.
			looks := ""
			if looksLikeProduction.MatchString(e.Name) {
				looks = fmt.Sprintf("environment %q", e.Name)
			} else if looksLikeProduction.MatchString(e.In.Namespace) {
				looks = fmt.Sprintf("environment %q (namespace %q)", e.Name, e.In.Namespace)
			}
			if looks != "" {
				diags.Warnf(pos(e.Name, "pattern"), path(e.Name, "pattern"),
					"%s looks like production; pattern %s is recommended for dev and test only (%s)",
					looks, e.Pattern, e.Out.NotForProduction)
			}
		}
	}
	// A pattern that needs its cluster to itself.
	for _, e := range f.Envs {
		if !e.Out.ExclusiveCluster {
			continue
		}
		for _, other := range onCluster[e.Cluster] {
			if other != e {
				diags.Errorf(pos(e.Name, "cluster"), path(e.Name, "cluster"),
					"pattern %s needs cluster %q to itself, but environment %q (%s) is also on it",
					e.Pattern, e.Cluster, other.Name, pos(other.Name, "cluster"))
				break
			}
		}
	}
	return append(diags, uniqueServers(r, f, engine)...)
}

// fluxValues refuses, with Flux, what an environment's values patch
// cannot carry to Helm. The values reach the HelmRelease through a
// kustomize strategic-merge patch over the shared base (apps/base, which
// holds #ReleaseBase): the patch reads null as "delete this key", so a
// null would silently never reach Helm, and it cannot replace one of the
// base's maps by a value that is not a map (kustomize fails).
func fluxValues(r *reporter, v any, base any, path []string) diag.List {
	var diags diag.List
	// The position is looked up only for an error.
	errorf := func(format string, args ...any) {
		diags.Errorf(r.lookupPos(path), joinPath(path), format, args...)
	}
	m, isMap := v.(map[string]any)
	_, isList := v.([]any)
	bm, baseIsMap := base.(map[string]any)
	switch {
	case v == nil:
		errorf("null cannot reach Helm through the Flux tree (a kustomize patch reads null as \"delete\"); " +
			"set the value the chart should use instead, or use gitops.engine argocd")
	// Where every release of the chart sets a value, the shared base holds
	// it, and a patch cannot change its shape.
	case baseIsMap && !isMap:
		errorf("must be a map: every release of the chart sets %s under it, which the Flux tree's shared base holds "+
			"and a patch cannot replace by a value that is not a map; set the keys inside it instead",
			strings.Join(slices.Sorted(maps.Keys(bm)), ", "))
	case baseScalar(base) && (isMap || isList):
		errorf("must not be a map or a list: every release of the chart sets it to %v in the Flux tree's shared base, "+
			"which a patch cannot replace by a map or a list; set a value of that kind", base)
	case isMap:
		for _, k := range slices.Sorted(maps.Keys(m)) {
			kp := append(append([]string(nil), path...), k)
			if what := patchDirective(k); what != "" {
				diags.Errorf(r.lookupPos(kp), joinPath(kp),
					"%s cannot reach Helm through the Flux tree: the kustomize patch that carries values:"+
						" would %s; set the values the chart should get instead, or use gitops.engine argocd", what, patchAction(k))
				continue
			}
			diags = append(diags, fluxValues(r, m[k], bm[k], kp)...)
		}
	}
	return diags
}

// patchDirective says what a key of values is to a kustomize
// strategic-merge patch, "" for a plain key: a directive ($patch,
// $retainKeys, $setElementOrder/..., $deleteFromPrimitiveList/...) or an
// empty key, which the patch cannot carry.
func patchDirective(key string) string {
	switch {
	case key == "":
		return "an empty key"
	case key == "$patch", key == "$retainKeys",
		strings.HasPrefix(key, "$setElementOrder/"), strings.HasPrefix(key, "$deleteFromPrimitiveList/"):
		return fmt.Sprintf("%q, a kustomize patch directive,", key)
	}
	return ""
}

// patchAction is what a patch would do with the key patchDirective names.
func patchAction(key string) string {
	if key == "" {
		return "fail to build"
	}
	return "act on it (delete or replace the values apkgen sets) instead of passing it on"
}

// baseScalar reports whether the Flux tree's shared base sets a value that
// is no map and no list at this place: a patch cannot replace it by a map
// or a list (kustomize fails).
func baseScalar(base any) bool {
	switch base.(type) {
	case nil, map[string]any, []any:
		return false
	}
	return true
}

// GlobsOverlap reports whether some name matches both globs, whose only
// wildcard is * (any run of characters).
func GlobsOverlap(a, b string) bool {
	switch {
	case a == "" && b == "":
		return true
	case a != "" && a[0] == '*':
		return GlobsOverlap(a[1:], b) || b != "" && GlobsOverlap(a, b[1:])
	case b != "" && b[0] == '*':
		return GlobsOverlap(a, b[1:]) || a != "" && GlobsOverlap(a[1:], b)
	case a == "" || b == "":
		return false
	}
	return a[0] == b[0] && GlobsOverlap(a[1:], b[1:])
}

// uniqueServers: with Argo CD, each cluster is an API server, so two
// clusters cannot share one.
func uniqueServers(r *reporter, f *File, engine string) diag.List {
	var diags diag.List
	if engine != "argocd" {
		return nil
	}
	first := map[string]string{} // server -> cluster
	for _, c := range f.Clusters {
		server := Server(r.doc.LookupPath(cue.MakePath(cue.Str("clusters"), cue.Str(c))))
		prev, ok := first[server]
		if !ok {
			first[server] = c
			continue
		}
		field := []string{"clusters", c, "server"}
		diags.Errorf(r.lookupPos(field), joinPath(field),
			"cluster %q has the same API server as cluster %q (%s, %s): with gitops.engine argocd "+
				"each cluster needs its own server (unset means Argo CD's own cluster, %s)",
			c, prev, server, r.lookupPos([]string{"clusters", prev}), InCluster)
	}
	return diags
}

// InCluster is the API server Argo CD reaches its own cluster at, the
// server of a cluster that sets none.
const InCluster = "https://kubernetes.default.svc"

// Server is the API server of a cluster as the file gives it: its server,
// else InCluster.
func Server(cluster cue.Value) string {
	if s, err := cluster.LookupPath(cue.ParsePath("server")).String(); err == nil {
		return s
	}
	return InCluster
}

// checkVersion refuses a chart version apkgen was not tested with, unless
// the override says allowUntestedVersion, which makes it a warning; the
// version's known problem, if any, is said in both.
func checkVersion(r *reporter, known []string, problem string, e *Env, key, version, chart string) diag.List {
	var diags diag.List
	if len(known) == 0 || slices.Contains(known, version) {
		return nil
	}
	// The override that chose the version: the environment's, else the file's.
	where := []string{"environments", e.Name, "charts", key}
	if !r.doc.LookupPath(selectors(append(where, "version"))).Exists() {
		where = []string{"charts", key}
	}
	p := append(append([]string(nil), where...), "version")
	allow, _ := r.doc.LookupPath(selectors(append(append([]string(nil), where...), "allowUntestedVersion"))).Bool()
	msg := fmt.Sprintf("%s %s is not a version apkgen was tested with (tested: %s)", chart, version, strings.Join(known, ", "))
	if problem != "" {
		msg += ": " + problem
	}
	if allow {
		if problem == "" {
			msg += "; its values may not work"
		}
		diags.Warnf(r.lookupPos(p), joinPath(p), "%s", msg)
		return diags
	}
	if meant := strings.TrimPrefix(version, "v"); meant != version && slices.Contains(known, meant) {
		// Tag-style v1.3.0-1: the charts' versions have no v, so there is
		// no such version to allow.
		diags.Errorf(r.lookupPos(p), joinPath(p), "%s; did you mean %q? (chart versions have no \"v\")", msg, meant)
		return diags
	}
	diags.Errorf(r.lookupPos(p), joinPath(p), "%s; set %s.allowUntestedVersion: true to use it anyway", msg, joinPath(where))
	return diags
}
