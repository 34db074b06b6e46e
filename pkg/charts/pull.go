package charts

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/registry"
	"sigs.k8s.io/yaml"

	"github.com/apkgen/apkgen/pkg/plan"
)

const timeout = 2 * time.Minute

// pull downloads a chart archive; it returns the bytes, the digest the
// repository gives for it ("" when it gives none) and the URL.
func pull(c plan.Chart, plainHTTP bool) ([]byte, string, string, error) {
	if strings.HasPrefix(c.Repository, "oci://") {
		return pullOCI(c, plainHTTP)
	}
	return pullHTTP(c)
}

// index is the part of a Helm repository's index.yaml apkgen reads.
type index struct {
	Entries map[string][]struct {
		Version string   `json:"version"`
		URLs    []string `json:"urls"`
		Digest  string   `json:"digest"`
	} `json:"entries"`
}

// pullHTTP reads the repository's index.yaml, finds the version and
// downloads its archive, as `helm pull --repo` does.
func pullHTTP(c plan.Chart) ([]byte, string, string, error) {
	base, err := url.Parse(strings.TrimSuffix(c.Repository, "/") + "/")
	if err != nil {
		return nil, "", "", err
	}
	indexURL := base.JoinPath("index.yaml").String()
	b, err := get(indexURL)
	if err != nil {
		return nil, "", "", err
	}
	var idx index
	if err := yaml.Unmarshal(b, &idx); err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", indexURL, err)
	}
	for _, cv := range idx.Entries[c.Name] {
		if cv.Version != c.Version {
			continue
		}
		if len(cv.URLs) == 0 {
			return nil, "", "", fmt.Errorf("%s: chart %s %s has no URL", indexURL, c.Name, c.Version)
		}
		ref, err := url.Parse(cv.URLs[0])
		if err != nil {
			return nil, "", "", fmt.Errorf("%s: %w", indexURL, err)
		}
		u := base.ResolveReference(ref).String()
		b, err := get(u)
		if err != nil {
			return nil, "", "", err
		}
		digest := ""
		if cv.Digest != "" {
			digest = "sha256:" + strings.TrimPrefix(cv.Digest, "sha256:")
		}
		return b, digest, u, nil
	}
	return nil, "", "", fmt.Errorf("%s has no chart %s version %s", indexURL, c.Name, c.Version)
}

var httpClient = &http.Client{Timeout: timeout}

func get(u string) ([]byte, error) {
	req, err := http.NewRequest(http.MethodGet, u, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("User-Agent", "apkgen")
	resp, err := httpClient.Do(req)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("reading %s: %s", u, resp.Status)
	}
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", u, err)
	}
	return b, nil
}

// pullOCI pulls <repository>/<name>:<version> with Helm's registry client,
// which reads the credentials `helm registry login` stored.
func pullOCI(c plan.Chart, plainHTTP bool) ([]byte, string, string, error) {
	var opts []registry.ClientOption
	if plainHTTP {
		opts = append(opts, registry.ClientOptPlainHTTP())
	}
	client, err := registry.NewClient(opts...)
	if err != nil {
		return nil, "", "", err
	}
	// OCI tags cannot hold '+'; helm push writes it as '_'.
	ref := strings.TrimSuffix(strings.TrimPrefix(c.Repository, "oci://"), "/") + "/" + c.Name + ":" +
		strings.ReplaceAll(c.Version, "+", "_")
	res, err := client.Pull(ref, registry.PullOptWithChart(true))
	if err != nil {
		return nil, "", "", fmt.Errorf("pulling %s: %w", ref, err)
	}
	if res.Chart == nil || len(res.Chart.Data) == 0 {
		return nil, "", "", fmt.Errorf("%s holds no chart", ref)
	}
	return res.Chart.Data, res.Chart.Digest, "oci://" + ref, nil
}
