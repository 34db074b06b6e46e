package cli

import (
	"fmt"

	"github.com/spf13/pflag"

	"github.com/apkgen/apkgen/pkg/apkgen"
)

const verifyHelp = `
Renders every Helm release of the environments file as the GitOps engine
would (helm template with the release's name, namespace, values and CRD
policy, then its post-render kustomize patches), and checks the result:

  collision  two releases of a cluster render the same object (a ClusterRole,
             GatewayClass, CRD, ... of one name), or one that apkgen writes
  namespace  a release renders an object into another environment's namespace
  schema     an object of a kind apkgen has a schema for (ConfigMap, Secret,
             Service, Namespace, cert-manager Certificate and Issuer) is invalid
  landing    a value apkgen sets is missing where it must land (the gateway
             hostname on a Gateway listener, apiNamespaces in the ConfigMaps)
  ignored    a value (apkgen's or from values:) changes nothing the chart renders

Charts are pulled from their repositories (HTTP index or oci://) and cached
under charts/ in $APKGEN_CACHE_DIR, else in <user cache folder>/apkgen; with
--chart-dir, only that folder of .tgz archives or unpacked charts is used.

Examples:
  apkgen verify -f environments.yaml
  apkgen verify --chart-dir ./charts     # air-gapped

Exit codes: 0 every check passed, 1 a check failed, 2 invalid input or
usage, 3 a chart could not be pulled or rendered.
`

// renderFlags are the chart source flags verify and build --render share.
func renderFlags(fs *pflag.FlagSet) *apkgen.RenderOptions {
	o := &apkgen.RenderOptions{}
	fs.StringVar(&o.ChartDir, "chart-dir", "", "take charts only from this folder of .tgz archives or unpacked charts (no network)")
	fs.BoolVar(&o.PlainHTTP, "plain-http", false, "use plain HTTP for oci:// chart registries")
	return o
}

func runVerify(e *env, args []string) int {
	fs := flagSet(e, "verify", "verify [-f FILE] [--chart-dir DIR] [--plain-http] [--policy FILE.cue]... [--strict] [--no-cache] [-v]")
	usage := fs.Usage
	fs.Usage = func() { usage(); fmt.Fprint(fs.Output(), verifyHelp) }
	ropts := renderFlags(fs)
	opts := loadFlags(fs, false)
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	res, err := apkgen.Verify(apkgen.VerifyOptions{File: opts.file, Load: opts.get(e), Render: *ropts})
	if err != nil {
		return report(e, err)
	}
	printDiags(e, res.File.Warnings)
	opts.work(e, res.File, &res.Verified)
	for _, f := range res.Findings {
		fmt.Fprintln(e.stdout, f.String())
	}
	what := fmt.Sprintf("%s, %s, %s", plural(len(res.Plan.Environments), "environment"),
		plural(len(res.Releases), "release"), plural(res.Objects(), "object"))
	if len(res.Findings) > 0 {
		fmt.Fprintf(e.stdout, "verify: %s: %s\n", what, plural(len(res.Findings), "problem"))
		return ExitDifferences
	}
	fmt.Fprintf(e.stdout, "verify: %s: every check passed\n", what)
	return ExitOK
}
