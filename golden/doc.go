// Package golden holds the expected output trees of the examples, one folder
// per example. Run `go test ./golden/ -update` (or `make golden`) after an
// intended change of the output, and review the diff.
package golden
