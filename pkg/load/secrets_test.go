package load

import (
	"strings"
	"testing"
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
