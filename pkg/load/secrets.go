package load

import (
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"

	"github.com/apkgen/apkgen/pkg/diag"
)

// Credentials never belong in the environments file: it is committed, and
// what apkgen generates from it is committed too. These catch the usual
// shapes: a credential-named key with a value, a private key, a URL with a
// password in it.
var (
	credentialKey = regexp.MustCompile(`(?i)(password|passwd|passphrase|token|secret|apikey|api_key|privatekey|private_key|credentials?)$`)
	// Keys that name a Secret (or a key inside one) rather than hold one.
	referenceKey = regexp.MustCompile(`(?i)(secretname|secretref|existingsecret|secretkey|passwordkey|tokenkey|credentialssecret|keyref|name)$`)
	privateKey   = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)
	urlPassword  = regexp.MustCompile(`^[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]+:[^/@\s]+@`)
)

const secretAdvice = "create a Kubernetes Secret and reference it by name " +
	"(controlPlane.credentialsSecret, or the chart's existingSecret/secretName values)"

// scanSecrets reports credentials anywhere in the document, including the
// `values:` escape hatch.
func scanSecrets(name string, doc cue.Value) diag.List {
	var diags diag.List
	var walk func(v cue.Value, path []string)
	walk = func(v cue.Value, path []string) {
		switch v.IncompleteKind() {
		case cue.StructKind:
			it, err := v.Fields()
			if err != nil {
				return
			}
			for it.Next() {
				walk(it.Value(), append(append([]string(nil), path...), it.Selector().Unquoted()))
			}
		case cue.ListKind:
			it, err := v.List()
			if err != nil {
				return
			}
			for i := 0; it.Next(); i++ {
				walk(it.Value(), append(append([]string(nil), path...), strconv.Itoa(i)))
			}
		case cue.StringKind:
			s, err := v.String()
			if err != nil {
				return
			}
			key := ""
			if len(path) > 0 {
				key = path[len(path)-1]
			}
			pos := fromToken(name, v.Pos())
			p := strings.Join(path, ".")
			switch {
			case privateKey.MatchString(s):
				diags.Errorf(pos, p, "a private key must not be written in the environments file; %s", secretAdvice)
			case urlPassword.MatchString(s):
				diags.Errorf(pos, p, "this URL carries a password; %s", secretAdvice)
			case s != "" && credentialKey.MatchString(key) && !referenceKey.MatchString(key):
				diags.Errorf(pos, p, "%q looks like a credential; it must not be written in the environments file: %s", key, secretAdvice)
			}
		}
	}
	walk(doc, nil)
	return diags
}
