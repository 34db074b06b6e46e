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
	claim := func(e *Env, kind, field, value, what string) {
		key := kind + "\x00" + e.Cluster + "\x00" + value
		if prev, ok := unique[key]; ok {
			diags.Errorf(pos(e.Name, field), path(e.Name, field),
				"%s %q is also used by environment %q on cluster %q (%s); %s must be unique per cluster",
				what, value, prev.env, e.Cluster, pos(prev.env, field), what)
			return
		}
		unique[key] = seenAt{env: e.Name}
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
			rn, _ := releases.LookupPath(cue.MakePath(cue.Str(key), cue.Str("releaseName"))).String()
			claim(e, "release", "pattern", rn, "Helm release name")
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
	return diags
}

func patternOf(f *File, env string) string {
	for _, e := range f.Envs {
		if e.Name == env {
			return e.Pattern
		}
	}
	return ""
}
