// Command apkgen compiles an environments file into a GitOps tree (Flux) that
// deploys WSO2 APK as the gateway of WSO2 API Manager.
package main

import (
	"os"

	"github.com/apkgen/apkgen/pkg/cli"
)

func main() { os.Exit(cli.Main(os.Args[1:], os.Stdout, os.Stderr)) }
