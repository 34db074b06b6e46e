package schema

import (
	"strings"
	"testing"

	"cuelang.org/go/cue/cuecontext"
	cueerrors "cuelang.org/go/cue/errors"
)

// TestCheckPolicies: BuildChecked accepts rules on the schema's fields, wherever they
// are written (patterns, required and optional fields, a pattern's
// computed output, a policy's own definitions); a field the schema does
// not have is refused at its place (the corpus, pkg/cli, has the messages).
func TestCheckPolicies(t *testing.T) {
	// By whom a rule is refused: "" (accepted), "the check", or "CUE".
	for rule, refused := range map[string]string{
		`#File: environments: [string]: namespace: =~"^apk-"`:                        "",
		`#File: environments: prod: pattern: "cp-dp-k8s"`:                            "",
		`#File: environments: [string]: controlPlane: host: =~"\\.internal\\."`:      "",
		`#File: gitops: engine: "flux"`:                                              "",
		`#File: clusters: [string]: server!: _`:                                      "",
		`#Cluster: certManager: install: true`:                                       "",
		`#EnvCommon: hostnames: gateway: =~"\\.example\\.com$"`:                      "",
		`#EnvCommon: values: apk: anything: "goes"`:                                  "",
		`#Charts: apk?: version: "1.3.0-1"`:                                          "",
		`#GuardedValues: apk: "foo.bar": says: "x"`:                                  "",
		`#Patterns: "dp-per-namespace": out: releases: apk: releaseName: =~"^team-"`: "",
		`#Patterns: "cp-dp-k8s": in: namespace: =~"^apim-"`:                          "",
		"#Team: =~\"^a\"\n#File: environments: [string]: namespace: #Team":           "",
		`#File: environments: [string]: {namespace: =~"^a"} & {cluster: "nonprod"}`:  "",
		`#File: enviroments: [string]: namespace: =~"^apk-"`:                         "the check",
		`#File: environments: [string]: namspace: =~"^apk-"`:                         "the check",
		`#File: clusters: [string]: sever: _`:                                        "the check",
		`#EnvCommon: hostnames: gatway: _`:                                           "the check",
		`#GuardedValues: apk: "foo.bar": sayz: "x"`:                                  "the check",
		`#Patterns: "dp-per-namspace": in: namespace: =~"^apk-"`:                     "the check",
		`#Patterns: "cp-dp-k8s": in: namspace: =~"^apim-"`:                           "CUE",
		`#File: environments: [string]: {namespace: =~"^a"} & {clster: "nonprod"}`:   "the check",
		`#File: environments: [string]: {hostnamez: _} | {pattern: "x"}`:             "the check",
	} {
		_, err := BuildChecked(cuecontext.New(), Source{Name: "policy.cue", Data: []byte("package apkgen\n\n" + rule + "\n")})
		var by string
		switch {
		case err == nil:
		case strings.Contains(err.Error(), "apkgen's schema has no field"):
			by = "the check"
		default:
			by = "CUE" // a field a closed struct does not allow
		}
		if by != refused {
			t.Errorf("%s: refused by %q, want %q (%v)", rule, by, refused, cueerrors.Details(err, nil))
		}
	}
}
