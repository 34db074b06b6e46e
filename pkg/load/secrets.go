package load

import (
	"encoding/base64"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"unicode"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/ast"
	"cuelang.org/go/cue/literal"
	"cuelang.org/go/cue/token"

	"github.com/apkgen/apkgen/pkg/diag"
)

// Credentials never belong in the environments file: it is committed, and
// what apkgen generates from it is committed too. These catch the usual
// shapes: a credential-named key with a value (a number too), a container
// environment variable named like a credential with its value ({name:
// DB_PASSWORD, value: ...}), and, under any key, a private key (PEM, PGP,
// or base64-encoded PEM), a JSON Web Token, an Authorization header value,
// a URL with a password or a token in it, and `password=...` (or a JSON
// "password": "...") inside a longer string such as a connection string,
// a command-line flag or an embedded config file.
var (
	// credentialKey and referenceKey match a key normalised by normalKey:
	// api-key, api_key and apiKey are all apikey.
	credentialKey = regexp.MustCompile(`(password|passwd|pwd|passphrase|token|secret|apikey|privatekey|credentials?|secretaccesskey)$`)
	// Keys that name a Secret (or a key inside one) rather than hold one.
	referenceKey = regexp.MustCompile(`(secretname|secretref|existingsecret|secretkey|passwordkey|tokenkey|credentials?secret|keyref|name)$`)
	// An ambiguous reference key (secretKey: a key of a Secret, or AWS's
	// secret key) holds a credential when its value cannot be a key of a
	// Secret.
	secretDataKey = regexp.MustCompile(`^[-._a-zA-Z0-9]+$`)
	privateKey    = regexp.MustCompile(`-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----`)
	// base64 of "-----BEGIN", as a PEM file is put into a Secret's data.
	base64PEM = regexp.MustCompile(`LS0tLS1CRUdJTi[A-Za-z0-9+/=\s]+`)
	// A URL (a JDBC one too, jdbc:<driver>://…) with a password in its
	// authority (the user may be empty: redis://:pass@host), or as a query
	// parameter or driver property; Oracle's thin driver says user/password@.
	urlPassword      = regexp.MustCompile(`(?:^|[^a-zA-Z0-9+.-])[a-zA-Z][a-zA-Z0-9+.-]*://[^/@\s:]*:[^/@\s]+@`)
	urlPasswordParam = regexp.MustCompile(`(?i)^(jdbc:)?[a-z][a-z0-9+.-]*:\S*[?&;:]password=[^&;\s]`)
	oraclePassword   = regexp.MustCompile(`(?i)jdbc:oracle:[a-z0-9]+:[^/@\s:]+/[^@\s]+@`)
	// A URL whose user is a token: GitHub's and GitLab's token prefixes.
	urlToken = regexp.MustCompile(`[a-zA-Z][a-zA-Z0-9+.-]*://(?:ghp_|gho_|ghu_|ghs_|ghr_|github_pat_|glpat-)[A-Za-z0-9_]+@`)
	// A JSON Web Token: a JSON header and payload, base64url, and a signature.
	jwt = regexp.MustCompile(`(?:^|[^A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	// An HTTP Authorization header's value.
	authHeader = regexp.MustCompile(`(?i)^\s*(bearer|basic)\s+[A-Za-z0-9+/=._~-]{8,}\s*$`)
	// key=value or "key": "value" inside a longer string; the key is
	// checked as credentialKey is.
	assigned     = regexp.MustCompile(`(?i)([a-z0-9_.-]*(?:password|passwd|pwd|passphrase|secret|token|api[-_]?key))\s*=\s*("[^"]*"|'[^']*'|[^\s;&,"']+)`)
	jsonAssigned = regexp.MustCompile(`(?i)"([a-z0-9_.-]*(?:password|passwd|pwd|passphrase|secret|token|api[-_]?key|auth))"\s*:\s*"([^"]*)"`)
)

const secretAdvice = "create a Kubernetes Secret and reference it by name " +
	"(controlPlane.credentialsSecret, or the chart's existingSecret/secretName values)"

// repositoryAdvice is for a URL of a repository (gitops.repoURL, a
// chart's repository): its credentials are the GitOps engine's.
const repositoryAdvice = "give the repository's credentials to Flux or Argo CD in a Secret they read " +
	"(Argo CD: a repository Secret; Flux: the source's secretRef), not in the URL"

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

// normalKey is a key lower-cased without the separators people put
// inside words: api-key, api_key, apiKey and API.KEY are all apikey.
func normalKey(key string) string {
	return strings.Map(func(r rune) rune {
		switch r {
		case '-', '_', '.':
			return -1
		}
		return unicode.ToLower(r)
	}, key)
}

// namesCredential reports whether a key (a field's, an environment
// variable's, one inside a string) names a credential, not a reference to
// one: password and apiKey do, existingSecret does not.
func namesCredential(key string) bool {
	k := normalKey(key)
	return credentialKey.MatchString(k) && !referenceKey.MatchString(k)
}

// isCredential is namesCredential, remembered for the file's keys.
func (c *secretScan) isCredential(key string) bool {
	cr, ok := c.credential[key]
	if !ok {
		cr = namesCredential(key)
		c.credential[key] = cr
	}
	return cr
}

// holdsCredential reports whether the value s of key is a credential:
// the key names one, or names a key of a Secret (secretKey) with a value
// that cannot be one.
func (c *secretScan) holdsCredential(key, s string) bool {
	if s == "" {
		return false
	}
	if c.isCredential(key) {
		return true
	}
	k := normalKey(key)
	return strings.HasSuffix(k, "secretkey") && !secretDataKey.MatchString(s)
}

// str reports s, the string at path, if it is or holds a credential.
func (c *secretScan) str(s string, path []string, at token.Pos) {
	key := ""
	if len(path) > 0 {
		key = path[len(path)-1]
	}
	if what := credentialIn(s); what != "" {
		advice := secretAdvice
		if what == "this URL carries a password" || what == "this URL carries a token" {
			if isRepositoryPath(path) {
				advice = repositoryAdvice
			}
		}
		c.diags.Errorf(fromToken(c.name, at), joinPath(path), "%s; %s", what, advice)
		return
	}
	if c.holdsCredential(key, s) {
		c.keyed(key, path, at)
	}
}

// number reports a number at path whose key names a credential
// (password: 12345678).
func (c *secretScan) number(path []string, at token.Pos) {
	if len(path) > 0 && c.isCredential(path[len(path)-1]) {
		c.keyed(path[len(path)-1], path, at)
	}
}

func (c *secretScan) keyed(key string, path []string, at token.Pos) {
	c.diags.Errorf(fromToken(c.name, at), joinPath(path),
		"%q looks like a credential; it must not be written in the environments file: %s", key, secretAdvice)
}

// credentialIn says what credential the string s is or holds, whatever
// its key: "" for none.
func credentialIn(s string) string {
	switch {
	case strings.Contains(s, "PRIVATE KEY") && privateKey.MatchString(s):
		return "a private key must not be written in the environments file"
	case strings.Contains(s, "LS0tLS1CRUdJTi") && base64PrivateKey(s):
		return "a private key (base64-encoded) must not be written in the environments file"
	case strings.Contains(s, "@") && (urlPassword.MatchString(s) || oraclePassword.MatchString(s)),
		strings.Contains(strings.ToLower(s), "password=") && urlPasswordParam.MatchString(s):
		return "this URL carries a password"
	case strings.Contains(s, "@") && urlToken.MatchString(s):
		return "this URL carries a token"
	case strings.Contains(s, "eyJ") && jwt.MatchString(s):
		return "this looks like a JSON Web Token"
	case len(s) > 6 && strings.ContainsAny(s[:1], "bB \t") && authHeader.MatchString(s) && !plainWords(s):
		return "this looks like an HTTP Authorization header with its credentials"
	}
	// The regular expressions below run only where they can match: every
	// string of the file comes here.
	if strings.Contains(s, "=") {
		for _, m := range assigned.FindAllStringSubmatch(s, -1) {
			if assignedCredential(m[1], strings.Trim(m[2], `"'`)) {
				return fmt.Sprintf("%q is given a value in this string, which looks like a credential", m[1])
			}
		}
	}
	if strings.Contains(s, `"`) {
		for _, m := range jsonAssigned.FindAllStringSubmatch(s, -1) {
			if normalKey(m[1]) == "auth" && len(m[2]) >= 8 || assignedCredential(m[1], m[2]) {
				return fmt.Sprintf("%q is given a value in this string, which looks like a credential", m[1])
			}
		}
	}
	return ""
}

// plainWords reports whether s is lower-case words only ("Basic
// authentication"), which no token is.
func plainWords(s string) bool {
	_, token, _ := strings.Cut(strings.TrimSpace(s), " ")
	return strings.TrimLeft(strings.TrimSpace(token), "abcdefghijklmnopqrstuvwxyz") == ""
}

// assignedCredential reports whether key=value inside a string gives a
// credential: a credential key, and a value that is no placeholder for
// one (${env:X}, $secret{x}, {{ .Values.x }}, <password>) nor a word
// that says there is none.
func assignedCredential(key, value string) bool {
	if value == "" || !namesCredential(key) {
		return false
	}
	switch strings.ToLower(value) {
	case "true", "false", "null", "none", "nil":
		return false
	}
	return !strings.ContainsAny(value[:1], "$%<{*")
}

// base64PrivateKey reports whether s holds a base64-encoded PEM private
// key.
func base64PrivateKey(s string) bool {
	for _, m := range base64PEM.FindAllString(s, -1) {
		text := strings.Join(strings.Fields(m), "")
		// Whole groups of four only: a prefix decodes as far as it goes,
		// which is enough for the header.
		b, _ := base64.StdEncoding.DecodeString(text[:len(text)/4*4])
		if privateKey.Match(b) {
			return true
		}
	}
	return false
}

// isRepositoryPath reports whether path is the URL of a repository:
// gitops.repoURL or a chart's repository.
func isRepositoryPath(path []string) bool {
	if len(path) == 0 {
		return false
	}
	last := path[len(path)-1]
	return last == "repoURL" && len(path) == 2 && path[0] == "gitops" ||
		last == "repository" && slices.Contains(path, "charts") && !slices.Contains(path, "values")
}

// envVar reports a container environment variable {name: X, value: "..."}
// at path whose name X looks like a credential; at is its value's place.
func (c *secretScan) envVar(varName string, path []string, at token.Pos) {
	c.diags.Errorf(fromToken(c.name, at), joinPath(append(slices.Clone(path), "value")),
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
			} else if n.Kind == token.INT || n.Kind == token.FLOAT {
				c.number(path, at)
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
			if value := v.LookupPath(cue.MakePath(cue.Str("value"))); isCredentialVar(varName) {
				if s, err := value.String(); err == nil && s != "" || value.IncompleteKind()&cue.NumberKind != 0 && value.IsConcrete() {
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
		case cue.IntKind, cue.FloatKind, cue.NumberKind:
			if v.IsConcrete() { // not a type (int) a value must still fill
				c.number(path, v.Pos())
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
	if !isCredentialVar(envVarName(s)) {
		return token.NoPos, false
	}
	for _, d := range s.Elts {
		if f, ok := d.(*ast.Field); ok {
			if label, _, _ := ast.LabelName(f.Label); label == "value" {
				v, isString := stringLit(f.Value)
				lit, _ := f.Value.(*ast.BasicLit)
				if isString && v != "" || lit != nil && (lit.Kind == token.INT || lit.Kind == token.FLOAT) {
					return f.Label.Pos(), true
				}
			}
		}
	}
	return token.NoPos, false
}

// isCredentialVar reports whether an environment variable's name looks
// like a credential's (DB_PASSWORD, API_KEY).
func isCredentialVar(name string) bool {
	if k := normalKey(name); k == "pwd" || k == "oldpwd" {
		return false // the shell's working folders
	}
	return name != "" && namesCredential(name)
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
