package generate

import (
	"bytes"
	"fmt"
	"maps"
	"path"
	"slices"
	"strings"
	"testing"

	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/manifest"
	"github.com/apkgen/apkgen/pkg/tree"
)

// argoTree returns the paths of an Argo CD tree of n environments,
// perCluster of them to a cluster, laid out as ArgoCD lays them out. Only
// the root kustomizations have content: they are all RelistArgoEnvs reads.
func argoTree(tb testing.TB, n, perCluster int) tree.Tree {
	tb.Helper()
	t := tree.Tree{tree.Marker: []byte(tree.MarkerText)}
	envs := map[string][]string{} // by cluster
	for i := range n {
		env, cluster := envgen.Name(i), fmt.Sprintf("cluster-%04d", i/perCluster)
		envs[cluster] = append(envs[cluster], env)
		for _, f := range []string{"kustomization.yaml", "namespace.yaml", "apk/kustomization.yaml",
			"certificate-apk-root-ca.yaml", "issuer-apk-ca-issuer.yaml", "issuer-apk-selfsigned-bootstrap.yaml"} {
			t[path.Join("apps", env, f)] = nil
		}
		for _, f := range []string{"kustomization.yaml", "appproject-" + env + "-environment.yaml",
			"application-" + env + "-namespace.yaml", "application-" + env + "-apk.yaml"} {
			t[path.Join("argocd", cluster, env, f)] = nil
		}
	}
	for cluster, names := range envs {
		own := []string{"appproject-" + cluster + "-infrastructure.yaml", "application-" + cluster + "-apk-crds.yaml"}
		for _, f := range append(own, "bootstrap.yaml") {
			t[path.Join("argocd", cluster, f)] = nil
		}
		t[path.Join("infrastructure", cluster, "apk-crds/kustomization.yaml")] = nil
		root, err := manifest.Encode(kustomization("", append(own, names...), nil))
		if err != nil {
			tb.Fatal(err)
		}
		t[path.Join("argocd", cluster, "kustomization.yaml")] = root
	}
	return t
}

// TestRelistArgoEnvs: each root lists its cluster's own files, then
// exactly the environment folders beside it, sorted, however the tree
// came to hold them; a root that already does is left byte for byte.
func TestRelistArgoEnvs(t *testing.T) {
	full := argoTree(t, 30, 20)
	relisted := maps.Clone(full)
	if err := RelistArgoEnvs(relisted); err != nil {
		t.Fatal(err)
	}
	if !maps.EqualFunc(full, relisted, bytes.Equal) {
		t.Error("RelistArgoEnvs changed a full tree")
	}

	// env-00003's folder gone, env-00099's new on cluster-0001, and an
	// environment of cluster-0000 named like one of cluster-0001's.
	maps.DeleteFunc(relisted, func(p string, _ []byte) bool { return strings.HasPrefix(p, "argocd/cluster-0000/env-00003/") })
	relisted["argocd/cluster-0001/env-00099/kustomization.yaml"] = nil
	relisted["argocd/cluster-0000/env-00021/kustomization.yaml"] = nil
	if err := RelistArgoEnvs(relisted); err != nil {
		t.Fatal(err)
	}
	for cluster, envs := range map[string][]int{
		"cluster-0000": slices.Concat([]int{0, 1, 2}, seq(4, 20), []int{21}),
		"cluster-0001": slices.Concat(seq(20, 30), []int{99}),
	} {
		want := []string{"appproject-" + cluster + "-infrastructure.yaml", "application-" + cluster + "-apk-crds.yaml"}
		for _, i := range envs {
			want = append(want, envgen.Name(i))
		}
		root := "argocd/" + cluster + "/kustomization.yaml"
		if got := rootResources(t, relisted[root]); !slices.Equal(got, want) {
			t.Errorf("%s lists %v, want %v", root, got, want)
		}
	}
}

// seq returns from, from+1, ..., to-1.
func seq(from, to int) []int {
	var out []int
	for i := from; i < to; i++ {
		out = append(out, i)
	}
	return out
}

// rootResources returns what a root kustomization lists.
func rootResources(t *testing.T, b []byte) []string {
	t.Helper()
	var k struct {
		Resources []string `yaml:"resources"`
	}
	if err := yaml.Unmarshal(b, &k); err != nil {
		t.Fatal(err)
	}
	return k.Resources
}

// BenchmarkRelistArgoEnvs relists the roots of a tree of 1000
// environments, spread as envgen spreads them (20 to a shared cluster) and
// all on one cluster, where a cost in paths × environments shows.
func BenchmarkRelistArgoEnvs(b *testing.B) {
	const n = 1000
	for _, perCluster := range []int{envgen.PerSharedCluster, n} {
		b.Run(fmt.Sprintf("envs=%d/perCluster=%d", n, perCluster), func(b *testing.B) {
			t := argoTree(b, n, perCluster)
			b.ReportAllocs()
			for b.Loop() {
				if err := RelistArgoEnvs(t); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
