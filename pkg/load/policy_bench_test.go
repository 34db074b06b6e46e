package load

import (
	"testing"

	"cuelang.org/go/cue/cuecontext"

	"github.com/apkgen/apkgen/schema"
)

// BenchmarkBuildCheckedSchema is the schema build of a run with --policy,
// in its first context: the schema with the policy, and the policy's
// fields checked against the schema without it.
func BenchmarkBuildCheckedSchema(b *testing.B) {
	policies := []schema.Source{{Name: "policy.cue", Data: []byte(`package apkgen

#EnvCommon: namespace: =~"^team-"
#File: environments: [string]: hostnames: gateway: =~"\\.gw\\.example\\.com$"
`)}}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := buildCheckedSchema(cuecontext.New(), policies); err != nil {
			b.Fatal(err)
		}
	}
}
