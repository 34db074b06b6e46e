package charts

import (
	"fmt"
	"strings"
	"time"

	"helm.sh/helm/v3/pkg/getter"
	"helm.sh/helm/v3/pkg/registry"
	"helm.sh/helm/v3/pkg/repo"
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

// pullHTTP reads the repository's index.yaml, finds the version and
// downloads its archive, as `helm pull --repo` does.
func pullHTTP(c plan.Chart) ([]byte, string, string, error) {
	g, err := getter.NewHTTPGetter(getter.WithTimeout(timeout))
	if err != nil {
		return nil, "", "", err
	}
	indexURL := strings.TrimSuffix(c.Repository, "/") + "/index.yaml"
	buf, err := g.Get(indexURL)
	if err != nil {
		return nil, "", "", fmt.Errorf("reading %s: %w", indexURL, err)
	}
	var idx repo.IndexFile
	if err := yaml.Unmarshal(buf.Bytes(), &idx); err != nil {
		return nil, "", "", fmt.Errorf("%s: %w", indexURL, err)
	}
	idx.SortEntries()
	cv, err := idx.Get(c.Name, c.Version)
	if err != nil || cv.Version != c.Version {
		return nil, "", "", fmt.Errorf("%s has no chart %s version %s", indexURL, c.Name, c.Version)
	}
	if len(cv.URLs) == 0 {
		return nil, "", "", fmt.Errorf("%s: chart %s %s has no URL", indexURL, c.Name, c.Version)
	}
	u, err := repo.ResolveReferenceURL(c.Repository, cv.URLs[0])
	if err != nil {
		return nil, "", "", err
	}
	buf, err = g.Get(u)
	if err != nil {
		return nil, "", "", fmt.Errorf("downloading %s: %w", u, err)
	}
	digest := ""
	if cv.Digest != "" {
		digest = "sha256:" + strings.TrimPrefix(cv.Digest, "sha256:")
	}
	return buf.Bytes(), digest, u, nil
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
	if res.Chart.Meta != nil && (res.Chart.Meta.Name != c.Name || res.Chart.Meta.Version != c.Version) {
		return nil, "", "", fmt.Errorf("%s holds chart %s %s", ref, res.Chart.Meta.Name, res.Chart.Meta.Version)
	}
	return res.Chart.Data, res.Chart.Digest, "oci://" + ref, nil
}
