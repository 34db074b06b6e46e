package load

import (
	"slices"
	"strings"
	"testing"

	"cuelang.org/go/cue"
	"cuelang.org/go/cue/cuecontext"
)

// TestURLCredentials: a URL's password is refused wherever the URL says
// it (authority, query parameter, JDBC driver property); URLs without one
// pass, Oracle's jdbc:oracle:thin:@host included.
func TestURLCredentials(t *testing.T) {
	for url, refused := range map[string]bool{
		"jdbc:mysql://apim:s3cret@db.example.com:3306/apim_db":            true,
		"jdbc:mysql://db.example.com:3306/apim_db?user=a&password=s3cret": true,
		"jdbc:db2://db.example.com:50000/APIM:user=a;password=s3cret;":    true,
		"https://user:s3cret@repo.example.com/charts":                     true,
		"https://repo.example.com/charts?Password=s3cret":                 true,
		"jdbc:mysql://db.example.com:3306/apim_db?useSSL=false":           false,
		"jdbc:oracle:thin:@db.example.com:1521/APIM":                      false,
		"jdbc:h2:./repository/database/WSO2AM_DB;DB_CLOSE_ON_EXIT=FALSE":  false,
		"https://git@example.com/acme/gitops.git":                         false,
		"password=": false,
	} {
		text := "values:\n  apim:\n    url: " + strings.TrimSpace(`"`+url+`"`) + "\n"
		syntax, err := parseSyntax("envs.yaml", []byte(text), "yaml")
		if err != nil {
			t.Fatal(err)
		}
		got := scanSecrets("envs.yaml", syntax)
		if got.HasErrors() != refused {
			t.Errorf("%s: refused %v, want %v (%v)", url, got.HasErrors(), refused, got)
		}
	}
}

// TestCUEFileCredentials: a file in CUE can say a credential elsewhere than
// in a literal field of an environment; each is found, at its place.
func TestCUEFileCredentials(t *testing.T) {
	text := `apiVersion: "apkgen/v1alpha1"
kind:       "Environments"
let creds = {password: "hunter1"}
clusters: nonprod: {}
environments: [string]: values: apk: shared: creds
environments: dev: {
	pattern:   "dp-per-namespace"
	cluster:   "nonprod"
	namespace: "apk-dev"
	hostnames: {gateway: "dev.gw.example.com", system: "dev.apk.example.com"}
} & {values: apk: db: password: "hunter2"}
environments: dev: values: apk: env: [{name: "DB_PASSWORD", value: "hunter3"}]
`
	got := parseDiagsNamed(t, "envs.cue", text)
	want := []string{
		`envs.cue:3:14: environments.dev.values.apk.shared.password: "password" looks like a credential; it must not be written in the environments file: ` + secretAdvice,
		`envs.cue:11:23: environments.dev.values.apk.db.password: "password" looks like a credential; it must not be written in the environments file: ` + secretAdvice,
		`envs.cue:12:61: environments.dev.values.apk.env.0.value: environment variable "DB_PASSWORD" looks like a credential; its value must not be written in the environments file: set valueFrom.secretKeyRef to a key of a Kubernetes Secret instead`,
	}
	eqDiags(t, got, want)
}

// In a file in CUE, a number under a credential's key is refused as a
// string is; a type there (int) is a value still to fill, not a credential.
func TestCUEFileNumberCredentials(t *testing.T) {
	v := cuecontext.New().CompileString(`a: password: 12345678
b: password: int`, cue.Filename("envs.cue"))
	var got []string
	for _, d := range scanValueSecrets("envs.cue", v) {
		got = append(got, d.Pos.String()+": "+d.Path)
	}
	want := []string{"envs.cue:1:4: a.password"}
	if !slices.Equal(got, want) {
		t.Errorf("got %q, want %q", got, want)
	}
}

// TestCredentialShapes: each shape of credential is refused under the
// values escape hatch, whatever its key; what only looks alike (references
// to Secrets, placeholders, public certificates, plain URLs) passes.
func TestCredentialShapes(t *testing.T) {
	// A PEM private key and a certificate, base64-encoded as in a
	// Secret's data.
	b64Key := "LS0tLS1CRUdJTiBQUklWQVRFIEtFWS0tLS0tCk1JSUV2UUlCQURBTkJna3Foa2lHOXcwQkFRRUZBQVND"
	b64Cert := "LS0tLS1CRUdJTiBDRVJUSUZJQ0FURS0tLS0tCk1JSUJrVENCK3dJSkFLSG"
	jwtText := "eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.dBjftJeZ4CVPmB92K27uhbUJU1p1r_wW1gFWFOEjXk"
	for snippet, refused := range map[string]bool{
		`postgresql: {auth: {password: 12345678}}`:                                           true,
		`env: [{name: DB_PASSWORD, value: 12345678}]`:                                        true,
		`analytics: {api-key: 0a1b2c3d4e5f6a7b8c9d}`:                                         true,
		`storage: {secretAccessKey: wJalrXUtnFEMIK7MDENGbPxRfiCYEXAMPLEKEY}`:                 true,
		`storage: {secretKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"}`:                   true,
		`db: {pwd: "Sup3rS3cret!"}`:                                                          true,
		`redis: {url: "redis://:s3cr3tpass@redis:6379/0"}`:                                   true,
		`db: {url: "jdbc:oracle:thin:apimadmin/Secret123@db.example.com:1521/X"}`:            true,
		`headers: {Authorization: "Bearer ` + jwtText + `"}`:                                 true,
		`headers: {Authorization: "Basic YWRtaW46aHVudGVyMg=="}`:                             true,
		`signing: {key: "-----BEGIN PGP PRIVATE KEY BLOCK-----\nxyz\n"}`:                     true,
		`tls: {key: ` + b64Key + `}`:                                                         true,
		`pull: {config: '{"auths":{"r.example.com":{"auth":"dXNlcjpwYXNz"}}}'}`:              true,
		`db: {connectionString: "Server=db;Database=apim;Password=Hunter2!;"}`:               true,
		`extraArgs: ["--db-password=hunter2"]`:                                               true,
		`repo: {url: "https://ghp_abcdefghijklmnopqrstuvwxyz0123456789@github.com/a/b.git"}`: true,
		`javaOpts: "-Djavax.net.ssl.trustStorePassword=changeit -Xmx1g"`:                     true,
		// Not credentials.
		`storage: {secretKey: password}`:                                            false,
		`db: {passwordKey: APIM_DB_PASSWORD, existingSecret: db-creds}`:             false,
		`tls: {crt: ` + b64Cert + `}`:                                               false,
		`env: [{name: DB_PASSWORD, valueFrom: {secretKeyRef: {name: db, key: p}}}]`: false,
		`config: "password = \"$secret{admin_password}\"\nuser = admin"`:            false,
		`config: "token=${env:TOKEN}"`:                                              false,
		`auth: {enabled: true, tokenTTL: 3600}`:                                     false,
		`repo: {url: "ssh://git@github.com/acme/gitops.git"}`:                       false,
		`links: ["https://example.com:8443/path@v2"]`:                               false,
		`flags: "--password-file=/etc/secret/p --token="`:                           false,
		`auth: {scheme: "Basic authentication", bearer: "Bearer authentication"}`:   false,
		`env: [{name: PWD, value: /opt/apk}]`:                                       false,
		`pull: {config: '{"password"  : "hunter22x"}'}`:                             true,
	} {
		text := "values:\n  apk:\n    " + snippet + "\n"
		syntax, err := parseSyntax("envs.yaml", []byte(text), "yaml")
		if err != nil {
			t.Fatalf("%s: %v", snippet, err)
		}
		got := scanSecrets("envs.yaml", syntax)
		if got.HasErrors() != refused {
			t.Errorf("%s: refused %v, want %v (%v)", snippet, got.HasErrors(), refused, got)
		}
	}
}
