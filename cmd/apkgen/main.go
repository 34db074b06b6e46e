// Command apkgen compiles an environments file into a GitOps tree (Flux or
// Argo CD) that deploys WSO2 APK as the gateway of WSO2 API Manager.
package main

import (
	"os"
	"runtime/debug"

	"github.com/apkgen/apkgen/pkg/cli"
)

func main() {
	// apkgen is a short-lived process whose CUE and kustomize work allocates
	// a lot: collecting half as often saves a fifth of the time and keeps a
	// build of 1000 environments under 300 MB (docs/benchmarks.md). GOGC, when
	// set, still decides.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(200)
	}
	os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr))
}
