package apkgen

import "github.com/apkgen/apkgen/pkg/load"

// CompileUnverified is Compile without verify, for tests that build every
// kustomize folder themselves and keep what it gives.
func CompileUnverified(file string) (*Compiled, error) {
	return compileUnverified(file, load.Options{})
}
