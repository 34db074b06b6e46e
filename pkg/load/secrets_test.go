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
