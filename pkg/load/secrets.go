package load

import (
	"regexp"
	"strconv"
	"strings"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/pkg/diag"
)

// Credentials never belong in the environments file: it is committed, and
// what apkgen generates from it is committed too. These catch the usual
// shapes: a credential-named key with a value, a container environment
// variable named like a credential with its value ({name: DB_PASSWORD,
// value: ...}), a private key, a JSON Web Token, a URL with a password in it.
var (
	credentialKey = regexp.MustCompile(`(?i)(password|passwd|passphrase|token|secret|apikey|api_key|privatekey|private_key|credentials?)$`)
	// Keys that name a Secret (or a key inside one) rather than hold one.
	referenceKey = regexp.MustCompile(`(?i)(secretname|secretref|existingsecret|secretkey|passwordkey|tokenkey|credentials?secret|keyref|name)$`)
	privateKey   = regexp.MustCompile(`-----BEGIN [A-Z ]*PRIVATE KEY-----`)
	// A URL (a JDBC one too, jdbc:<driver>://…) with a password in its
	// authority, or as a query parameter or driver property.
	urlPassword      = regexp.MustCompile(`^(jdbc:)?[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]+:[^/@\s]+@`)
	urlPasswordParam = regexp.MustCompile(`(?i)^(jdbc:)?[a-z][a-z0-9+.-]*:\S*[?&;:]password=[^&;\s]`)
	// A JSON Web Token: a JSON header and payload, base64url, and a signature.
	jwt = regexp.MustCompile(`^eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*$`)
)

const secretAdvice = "create a Kubernetes Secret and reference it by name " +
	"(controlPlane.credentialsSecret, or the chart's existingSecret/secretName values)"

// secretScan classifies what a scan of the file finds and reports the
// credentials, whichever form of the file it walks.
type secretScan struct {
	name  string
	diags diag.List
	// A file repeats its keys: each is classified once.
	credential map[string]bool
}

func newSecretScan(name string) *secretScan {
	return &secretScan{name: name, credential: map[string]bool{}}
}

func (c *secretScan) isCredential(key string) bool {
	cr, ok := c.credential[key]
	if !ok {
		cr = credentialKey.MatchString(key) && !referenceKey.MatchString(key)
		c.credential[key] = cr
	}
	return cr
}

// str reports s, the string at path, if it is or holds a credential.
func (c *secretScan) str(s string, path []string, at token.Pos) {
	key := ""
	if len(path) > 0 {
		key = path[len(path)-1]
	}
	pos := fromToken(c.name, at)
	p := strings.Join(path, ".")
	switch {
	case strings.Contains(s, "PRIVATE KEY-----") && privateKey.MatchString(s):
		c.diags.Errorf(pos, p, "a private key must not be written in the environments file; %s", secretAdvice)
	case strings.Contains(s, "@") && urlPassword.MatchString(s),
		strings.Contains(strings.ToLower(s), "password=") && urlPasswordParam.MatchString(s):
		c.diags.Errorf(pos, p, "this URL carries a password; %s", secretAdvice)
	case strings.HasPrefix(s, "eyJ") && jwt.MatchString(s):
		c.diags.Errorf(pos, p, "this looks like a JSON Web Token; %s", secretAdvice)
	case s != "" && c.isCredential(key):
		c.diags.Errorf(pos, p, "%q looks like a credential; it must not be written in the environments file: %s", key, secretAdvice)
	}
}

// envVar reports a container environment variable {name: X, value: "..."}
// at path whose name X looks like a credential; at is its value's place.
func (c *secretScan) envVar(varName string, path []string, at token.Pos) {
	c.diags.Errorf(fromToken(c.name, at), strings.Join(append(append([]string(nil), path...), "value"), "."),
		"environment variable %q looks like a credential; its value must not be written in the environments file: "+
			"set valueFrom.secretKeyRef to a key of a Kubernetes Secret instead", varName)
}

// scanSecrets reports credentials anywhere in a YAML or JSON file,
// including the `values:` escape hatch. It reads the syntax tree, which
// YAML and JSON turn into literals only, so it can run while CUE builds
// the value.
func scanSecrets(name string, f *ast.File) diag.List {
	c := newSecretScan(name)
	// at is where a value is reported: its field's name, as CUE reports
	// a field's value, or the list item itself.
	var walk func(n ast.Node, path []string, at token.Pos)
	walk = func(n ast.Node, path []string, at token.Pos) {
		switch n := n.(type) {
		case *ast.File:
			for _, d := range n.Decls {
				walk(d, path, at)
			}
		case *ast.StructLit:
			if pos, ok := envVarCredential(n); ok {
				c.envVar(envVarName(n), path, pos)
				return
			}
			for _, d := range n.Elts {
				walk(d, path, at)
			}
		case *ast.Field:
			name, _, err := ast.LabelName(n.Label)
			if err != nil {
				return
			}
			walk(n.Value, append(append([]string(nil), path...), name), n.Label.Pos())
		case *ast.ListLit:
			for i, e := range n.Elts {
				walk(e, append(append([]string(nil), path...), strconv.Itoa(i)), e.Pos())
			}
		case *ast.BasicLit:
			if s, ok := stringLit(n); ok {
				c.str(s, path, at)
			}
		}
	}
	walk(f, nil, token.NoPos)
	return c.diags
}

// scanValueSecrets is scanSecrets for a file written in CUE: it walks the
// evaluated document, since CUE can say a value elsewhere than in a
// literal field (`&`, `let`, pattern constraints, references).
func scanValueSecrets(name string, doc cue.Value) diag.List {
	c := newSecretScan(name)
	var walk func(v cue.Value, path []string)
	walk = func(v cue.Value, path []string) {
		switch v.IncompleteKind() {
		case cue.StructKind:
			varName, _ := v.LookupPath(cue.MakePath(cue.Str("name"))).String()
			if value := v.LookupPath(cue.MakePath(cue.Str("value"))); credentialKey.MatchString(varName) {
				if s, err := value.String(); err == nil && s != "" {
					c.envVar(varName, path, value.Pos())
					return
				}
			}
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
			if s, err := v.String(); err == nil {
				c.str(s, path, v.Pos())
			}
		}
	}
	walk(doc, nil)
	return c.diags
}

// envVarCredential reports a container environment variable written with
// its value, {name: X, value: "..."}, whose name looks like a credential,
// and the position of its value's field.
func envVarCredential(s *ast.StructLit) (token.Pos, bool) {
	name := envVarName(s)
	if name == "" || !credentialKey.MatchString(name) {
		return token.NoPos, false
	}
	for _, d := range s.Elts {
		if f, ok := d.(*ast.Field); ok {
			if label, _, _ := ast.LabelName(f.Label); label == "value" {
				if v, ok := stringLit(f.Value); ok && v != "" {
					return f.Label.Pos(), true
				}
			}
		}
	}
	return token.NoPos, false
}

// envVarName is the string under the struct's field "name", if any.
func envVarName(s *ast.StructLit) string {
	v, _ := fieldString(s, "name")
	return v
}

// fieldString is the string literal under the struct's first field
// labelled label; false when there is none or it is no string literal.
func fieldString(s *ast.StructLit, label string) (string, bool) {
	for _, d := range s.Elts {
		if f, ok := d.(*ast.Field); ok {
			if name, _, _ := ast.LabelName(f.Label); name == label {
				return stringLit(f.Value)
			}
		}
	}
	return "", false
}

// stringLit is the value of a string literal.
func stringLit(n ast.Expr) (string, bool) {
	lit, ok := n.(*ast.BasicLit)
	if !ok || lit.Kind != token.STRING {
		return "", false
	}
	s, err := literal.Unquote(lit.Value)
	return s, err == nil
}
