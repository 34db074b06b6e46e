package envgen_test

import (
	"flag"
	"fmt"
	"regexp"
	"testing"

	"github.com/apkgen/apkgen/internal/envgen"
	"github.com/apkgen/apkgen/pkg/apkgen"
	"github.com/apkgen/apkgen/pkg/load"
)

var envName = regexp.MustCompile(`^[a-z0-9]([-a-z0-9]{0,22}[a-z0-9])?$`)

// TestGeneratedFilesBuild checks that the generated files validate and
// compile (plan, generate and kustomize build of every directory), with the
// mix of patterns and the cluster packing the package promises. N=1000 is
// left to the benchmarks and `make bench` unless -envgen.large is set, to
// keep the default test run fast.
func TestGeneratedFilesBuild(t *testing.T) {
	sizes := []int{1, 10, 100}
	if *large {
		sizes = append(sizes, 1000)
	}
	for _, n := range sizes {
		t.Run(fmt.Sprintf("envs=%d", n), func(t *testing.T) {
			f, err := load.Parse(fmt.Sprintf("envs-%d.yaml", n), envgen.Generate(n), load.Options{})
			if err != nil {
				t.Fatalf("load: %v", err)
			}
			if len(f.Envs) != n {
				t.Fatalf("%d environments loaded, want %d", len(f.Envs), n)
			}
			patterns := map[string]int{}
			perCluster := map[string]int{}
			for _, e := range f.Envs {
				if !envName.MatchString(e.Name) || e.Name == "base" {
					t.Errorf("environment name %q is not valid", e.Name)
				}
				patterns[e.Pattern]++
				perCluster[e.Cluster]++
			}
			for c, k := range perCluster {
				if k > envgen.PerSharedCluster {
					t.Errorf("cluster %s has %d environments, more than %d", c, k, envgen.PerSharedCluster)
				}
			}
			if n >= 10 {
				for _, p := range []string{"dp-per-namespace", "cp-dp-k8s", "cp-vm-dp-k8s"} {
					if patterns[p] == 0 {
						t.Errorf("no %s environment among %d", p, n)
					}
				}
			}
			c, err := apkgen.CompileFile(f)
			if err != nil {
				t.Fatalf("compile: %v", err)
			}
			if got := len(c.Plan.Environments); got != n {
				t.Errorf("%d environments planned, want %d", got, n)
			}
		})
	}
}

var large = flag.Bool("envgen.large", false, "also check the file of 1000 environments")
