package render

import (
	"bytes"
	"fmt"
	"strings"

	"helm.sh/helm/v3/pkg/chart"
	"helm.sh/helm/v3/pkg/chartutil"
	"helm.sh/helm/v3/pkg/engine"
	"helm.sh/helm/v3/pkg/postrender"
	"helm.sh/helm/v3/pkg/release"
	"helm.sh/helm/v3/pkg/releaseutil"
)

type templated struct {
	manifest string
	hooks    []*release.Hook
}

// template is `helm template`: what Helm's install action does client-only
// (dry run, no cluster), step by step, without the action package, which
// brings kubectl and the Kubernetes clients into the binary. The steps and
// their order are those of action.Install.RunWithContext and
// Configuration.renderResources in Helm v3.22: release name check,
// sub-chart conditions, values (coalesced, checked against
// values.schema.json), the engine without cluster nor DNS, NOTES.txt left
// out, hooks and manifests sorted in install order, the crds/ folder first
// when included, then the post-renderer on the manifests (not the hooks).
func template(ch *chart.Chart, vals map[string]any, name, namespace string, includeCRDs bool, pr postrender.PostRenderer) (*templated, error) {
	if err := chartutil.ValidateReleaseName(name); err != nil {
		return nil, fmt.Errorf("release name %q: %w", name, err)
	}
	if err := chartutil.ProcessDependenciesWithMerge(ch, vals); err != nil {
		return nil, err
	}
	caps := chartutil.DefaultCapabilities.Copy()
	if ch.Metadata.KubeVersion != "" && !chartutil.IsCompatibleRange(ch.Metadata.KubeVersion, caps.KubeVersion.String()) {
		return nil, fmt.Errorf("chart requires kubeVersion: %s which is incompatible with Kubernetes %s", ch.Metadata.KubeVersion, caps.KubeVersion.String())
	}
	values, err := chartutil.ToRenderValuesWithSchemaValidation(ch, vals,
		chartutil.ReleaseOptions{Name: name, Namespace: namespace, Revision: 1, IsInstall: true}, caps, false)
	if err != nil {
		return nil, err
	}
	files, err := engine.Engine{}.Render(ch, values)
	if err != nil {
		return nil, err
	}
	for k := range files {
		if strings.HasSuffix(k, "NOTES.txt") {
			delete(files, k)
		}
	}
	hooks, manifests, err := releaseutil.SortManifests(files, nil, releaseutil.InstallOrder)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	if includeCRDs {
		for _, crd := range ch.CRDObjects() {
			fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", crd.Filename, string(crd.File.Data))
		}
	}
	for _, m := range manifests {
		fmt.Fprintf(&b, "---\n# Source: %s\n%s\n", m.Name, m.Content)
	}
	out := &b
	if pr != nil {
		if out, err = pr.Run(out); err != nil {
			return nil, fmt.Errorf("error while running post render on files: %w", err)
		}
	}
	return &templated{manifest: out.String(), hooks: hooks}, nil
}
