package load

import (
	"fmt"
	"regexp"
	"slices"
	"strings"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/pkg/diag"
)

// looksLikeProduction matches environment and namespace names of production.
var looksLikeProduction = regexp.MustCompile(`(^|[-.])(prod|production|prd|live)([-.]|$)`)

// crossChecks are the rules no single environment can see. Each error
// names both places.
func crossChecks(r *reporter, f *File) diag.List {
	var diags diag.List
	pos := func(env string, field ...string) diag.Pos {
		return r.lookupPos(append([]string{"environments", env}, field...))
	}
	path := func(env string, field ...string) string {
		return strings.Join(append([]string{"environments", env}, field...), ".")
	}

	// Names that must be unique among the environments of a cluster.
	type claim struct {
		env   string
		field []string
	}
	claimed := map[string]claim{}
	// An environment that needs its cluster to itself and does not have it
	// is one error; the names it shares with its neighbours follow from it.
	crowded := map[string]bool{}
	unique := func(e *Env, what, value string, field ...string) {
		key := what + "\x00" + e.Cluster + "\x00" + value
		if prev, ok := claimed[key]; ok && prev.env != e.Name && !crowded[e.Cluster] {
			diags.Errorf(pos(e.Name, field...), path(e.Name, field...),
				"%s %q is also used by environment %q at %s; environments on cluster %q need different ones",
				what, value, prev.env, pos(prev.env, prev.field...), e.Cluster)
			return
		}
		claimed[key] = claim{env: e.Name, field: field}
	}

	onCluster := map[string][]*Env{}
	for _, e := range f.Envs {
		onCluster[e.Cluster] = append(onCluster[e.Cluster], e)
	}
	for _, e := range f.Envs {
		if ex, _ := e.Eval.LookupPath(cue.ParsePath("out.exclusiveCluster")).Bool(); ex && len(onCluster[e.Cluster]) > 1 {
			crowded[e.Cluster] = true
		}
	}
	clustersDeclared := r.doc.LookupPath(cue.ParsePath("clusters")).Exists()
	for _, e := range f.Envs {
		if clustersDeclared && !slices.Contains(f.Clusters, e.Cluster) {
			known := strings.Join(f.Clusters, ", ")
			if known == "" {
				known = "none"
			}
			diags.Errorf(pos(e.Name, "cluster"), path(e.Name, "cluster"),
				"cluster %q is not declared under clusters (declared: %s)", e.Cluster, known)
		}
		unique(e, "namespace", str(e.Raw, "namespace"), "namespace")
		unique(e, "hostname", str(e.Raw, "hostnames.gateway"), "hostnames", "gateway")
		unique(e, "hostname", str(e.Raw, "hostnames.system"), "hostnames", "system")
		releases := e.Eval.LookupPath(cue.ParsePath("out.releases"))
		for _, key := range fieldNames(e.Raw.LookupPath(cue.ParsePath("values"))) {
			if !releases.LookupPath(cue.MakePath(cue.Str(key))).Exists() {
				diags.Errorf(pos(e.Name, "values", key), path(e.Name, "values", key),
					"pattern %s has no release %q (its releases: %s)", e.Pattern, key, strings.Join(fieldNames(releases), ", "))
			}
		}
		for _, key := range fieldNames(releases) {
			rel := releases.LookupPath(cue.MakePath(cue.Str(key)))
			unique(e, "Helm release name", str(rel, "releaseName"))
			diags = append(diags, checkVersion(r, f, e, key, str(rel, "chart.version"), str(rel, "chart.name"))...)
		}
		if e.Pattern == "dp-per-namespace" &&
			(looksLikeProduction.MatchString(e.Name) || looksLikeProduction.MatchString(str(e.Raw, "namespace"))) {
			diags.Warnf(pos(e.Name, "pattern"), path(e.Name, "pattern"),
				"environment %q looks like production; pattern dp-per-namespace is recommended for dev and test only "+
					"(data planes sharing a cluster share its CRDs and webhooks)", e.Name)
		}
	}
	// A pattern that needs its cluster to itself.
	for _, e := range f.Envs {
		if ex, _ := e.Eval.LookupPath(cue.ParsePath("out.exclusiveCluster")).Bool(); !ex {
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
	return diags
}

// checkVersion refuses a chart version apkgen was not tested with, unless
// the override says allowUntestedVersion, which makes it a warning.
func checkVersion(r *reporter, f *File, e *Env, key, version, chart string) diag.List {
	var diags diag.List
	var known []string
	_ = f.Schema.LookupPath(cue.MakePath(cue.Def("KnownVersions"), cue.Str(key))).Decode(&known)
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
	if allow {
		diags.Warnf(r.lookupPos(p), strings.Join(p, "."), "%s; its values may not work", msg)
		return diags
	}
	diags.Errorf(r.lookupPos(p), strings.Join(p, "."), "%s; set %s.allowUntestedVersion: true to use it anyway", msg, strings.Join(where, "."))
	return diags
}

func str(v cue.Value, path string) string {
	s, _ := v.LookupPath(cue.ParsePath(path)).String()
	return s
}
