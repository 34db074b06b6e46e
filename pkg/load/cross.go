package load

import (
	"sort"
	"strings"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/pkg/diag"
)

// crossChecks are the rules no single environment can see: declared
// clusters, and names that must be unique among the environments of a cluster.
func crossChecks(f *File, v, doc cue.Value) diag.List {
	var diags diag.List
	declared := map[string]bool{}
	for _, c := range f.Clusters {
		declared[c] = true
	}
	pos := func(env, field string) diag.Pos {
		return lookupPos(f.Name, doc, append([]string{"environments", env}, strings.Split(field, ".")...))
	}
	path := func(env, field string) string { return "environments." + env + "." + field }

	type seenAt struct{ env string }
	unique := map[string]seenAt{} // key: kind/cluster/value
	claim := func(e *Env, kind, field, value, what string) bool {
		key := kind + "\x00" + e.Cluster + "\x00" + value
		if prev, ok := unique[key]; ok {
			diags.Errorf(pos(e.Name, field), path(e.Name, field),
				"%s %q is also used by environment %q on cluster %q (%s); %s must be unique per cluster",
				what, value, prev.env, e.Cluster, pos(prev.env, field), what)
			return false
		}
		unique[key] = seenAt{env: e.Name}
		return true
	}
	// Cluster-scoped objects are claimed by name glob: two environments of
	// a cluster must not be able to create the same one.
	type object struct {
		Group, Kind, Name string
		env               string
	}
	objects := map[string][]object{} // by cluster
	claimObjects := func(e *Env, release cue.Value) {
		var objs []object
		_ = release.LookupPath(cue.ParsePath("clusterScoped")).Decode(&objs) // validated by the schema
		for _, o := range objs {
			for _, prev := range objects[e.Cluster] {
				if prev.env != e.Name && prev.Group == o.Group && prev.Kind == o.Kind && GlobsOverlap(prev.Name, o.Name) {
					diags.Errorf(pos(e.Name, "pattern"), path(e.Name, "pattern"),
						"its %s %q and the %s %q of environment %q (%s) can be the same object on cluster %q; rename one environment",
						o.Kind, o.Name, prev.Kind, prev.Name, prev.env, pos(prev.env, "pattern"), e.Cluster)
					return
				}
			}
		}
		for _, o := range objs {
			o.env = e.Name
			objects[e.Cluster] = append(objects[e.Cluster], o)
		}
	}

	exclusive := map[string]string{}
	onCluster := map[string][]string{}
	for _, e := range f.Envs {
		onCluster[e.Cluster] = append(onCluster[e.Cluster], e.Name)
		if !declared[e.Cluster] {
			known := strings.Join(f.Clusters, ", ")
			if known == "" {
				known = "none"
			}
			diags.Errorf(pos(e.Name, "cluster"), path(e.Name, "cluster"),
				"cluster %q is not declared under clusters (declared: %s)", e.Cluster, known)
		}
		ns, _ := e.Raw.LookupPath(cue.ParsePath("namespace")).String()
		claim(e, "ns", "namespace", ns, "namespace")
		for _, h := range []string{"gateway", "system"} {
			host, _ := e.Raw.LookupPath(cue.ParsePath("hostnames." + h)).String()
			claim(e, "host", "hostnames."+h, host, "hostname")
		}
		releases := e.Eval.LookupPath(cue.ParsePath("out.releases"))
		for _, key := range fieldNames(releases) {
			release := releases.LookupPath(cue.MakePath(cue.Str(key)))
			rn, _ := release.LookupPath(cue.ParsePath("releaseName")).String()
			if claim(e, "release", "pattern", rn, "Helm release name") {
				claimObjects(e, release)
			}
		}
		if ex, _ := e.Eval.LookupPath(cue.ParsePath("out.exclusiveCluster")).Bool(); ex {
			exclusive[e.Name] = e.Cluster
		}
	}
	names := make([]string, 0, len(exclusive))
	for n := range exclusive {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		c := exclusive[n]
		for _, other := range onCluster[c] {
			if other == n {
				continue
			}
			diags.Errorf(pos(n, "cluster"), path(n, "cluster"),
				"environment %q (pattern %s) needs cluster %q to itself, but environment %q (%s) is also on it",
				n, patternOf(f, n), c, other, pos(other, "cluster"))
			break
		}
	}
	return append(diags, uniqueServers(f, v, doc)...)
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

// uniqueServers: Argo CD tells clusters apart by their API server, so two
// declared clusters must not resolve to the same one (an unset server is
// Argo CD's own cluster). Flux runs in each cluster and ignores server.
func uniqueServers(f *File, v, doc cue.Value) diag.List {
	var diags diag.List
	if engine, _ := v.LookupPath(cue.ParsePath("gitops.engine")).String(); engine != "argocd" {
		return nil
	}
	first := map[string]string{} // server -> cluster
	for _, c := range f.Clusters {
		server := InCluster
		if s := v.LookupPath(cue.MakePath(cue.Str("clusters"), cue.Str(c), cue.Str("server"))); s.Exists() {
			server, _ = s.String()
		}
		prev, ok := first[server]
		if !ok {
			first[server] = c
			continue
		}
		field := []string{"clusters", c, "server"}
		diags.Errorf(lookupPos(f.Name, doc, field), strings.Join(field, "."),
			"cluster %q has the same API server as cluster %q (%s, %s): with gitops.engine argocd "+
				"each cluster needs its own server (unset means Argo CD's own cluster, %s)",
			c, prev, server, lookupPos(f.Name, doc, []string{"clusters", prev}), InCluster)
	}
	return diags
}

// InCluster is the API server Argo CD reaches its own cluster at, the
// server of a cluster that sets none.
const InCluster = "https://kubernetes.default.svc"

func patternOf(f *File, env string) string {
	for _, e := range f.Envs {
		if e.Name == env {
			return e.Pattern
		}
	}
	return ""
}
