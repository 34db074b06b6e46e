package schema

import (
	"testing"

	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
)

// TestCheckPolicies: BuildChecked accepts rules on the schema's fields pass, wherever they
// are written (patterns, required and optional fields, a pattern's
// computed output, a policy's own definitions); a field the schema does
// not have is refused at its place (the corpus, pkg/cli, has the messages).
func TestCheckPolicies(t *testing.T) {
	for rule, refused := range map[string]bool{
		`#File: environments: [string]: namespace: =~"^apk-"`:                        false,
		`#File: environments: prod: pattern: "cp-dp-k8s"`:                            false,
		`#File: environments: [string]: controlPlane: host: =~"\\.internal\\."`:      false,
		`#File: gitops: engine: "flux"`:                                              false,
		`#File: clusters: [string]: server!: _`:                                      false,
		`#Cluster: certManager: install: true`:                                       false,
		`#EnvCommon: hostnames: gateway: =~"\\.example\\.com$"`:                      false,
		`#EnvCommon: values: apk: anything: "goes"`:                                  false,
		`#Charts: apk?: version: "1.3.0-1"`:                                          false,
		`#GuardedValues: apk: "foo.bar": says: "x"`:                                  false,
		`#Patterns: "dp-per-namespace": out: releases: apk: releaseName: =~"^team-"`: false,
		`#Patterns: "cp-dp-k8s": in: namespace: =~"^apim-"`:                          false,
		"#Team: =~\"^a\"\n#File: environments: [string]: namespace: #Team":           false,
		`#File: environments: [string]: {namespace: =~"^a"} & {cluster: "nonprod"}`:  false,
		`#File: enviroments: [string]: namespace: =~"^apk-"`:                         true,
		`#File: environments: [string]: namspace: =~"^apk-"`:                         true,
		`#File: clusters: [string]: sever: _`:                                        true,
		`#EnvCommon: hostnames: gatway: _`:                                           true,
		`#GuardedValues: apk: "foo.bar": sayz: "x"`:                                  true,
		`#Patterns: "dp-per-namspace": in: namespace: =~"^apk-"`:                     true,
		`#Patterns: "cp-dp-k8s": in: namspace: =~"^apim-"`:                           true,
		`#File: environments: [string]: {namespace: =~"^a"} & {clster: "nonprod"}`:   true,
		`#File: environments: [string]: {hostnamez: _} | {pattern: "x"}`:             true,
	} {
		_, err := BuildChecked(cuecontext.New(), Source{Name: "policy.cue", Data: []byte("package apkgen\n\n" + rule + "\n")})
		if (err != nil) != refused {
			t.Errorf("%s: refused %v, want %v (%v)", rule, err != nil, refused, cueerrors.Details(err, nil))
		}
	}
}
