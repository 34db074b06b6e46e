// Command envgen writes the synthetic environments file of N environments
// that the benchmarks build (package envgen), for profiling apkgen itself:
//
//	go run ./internal/cmd/envgen 1000 > envs-1000.yaml
package main

import (
	"fmt"
	"os"
	"strconv"

	"github.com/apkgen/apkgen/internal/envgen"
)

func main() {
	n := 0
	if len(os.Args) == 2 {
		n, _ = strconv.Atoi(os.Args[1])
	}
	if n < 1 {
		fmt.Fprintln(os.Stderr, "usage: envgen N   (writes an environments file of N environments to stdout)")
		os.Exit(2)
	}
	if _, err := os.Stdout.Write(envgen.Generate(n)); err != nil {
		fmt.Fprintln(os.Stderr, "envgen:", err)
		os.Exit(1)
	}
}
