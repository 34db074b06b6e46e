package render

import (
	"bytes"
	"encoding/json"
	"helm.sh/helm/v3/pkg/postrender"
	"sync"

	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/apkgen/apkgen/pkg/plan"
)

// kustomizeMu serialises kustomize runs: krusty has shared state that is
// not safe for concurrent builds (helm-controller guards it the same way).
var kustomizeMu sync.Mutex

// chain runs post-renderers one after the other.
type chain []postrender.PostRenderer

func (c chain) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	var err error
	for _, pr := range c {
		if len(bytes.TrimSpace(in.Bytes())) == 0 {
			return in, nil
		}
		if in, err = pr.Run(in); err != nil {
			return nil, err
		}
	}
	return in, nil
}

// kustomizePatches is a HelmRelease's postRenderers[].kustomize.patches:
// the rendered chart becomes the only resource of a kustomization with
// those patches, built like helm-controller builds it (no load
// restrictions, no plugins).
type kustomizePatches []plan.Patch

func (k kustomizePatches) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	const input = "helm-output.yaml"
	patches := make([]plan.Object, len(k))
	for i, p := range k {
		patches[i] = p.Object()
	}
	kust, err := json.Marshal(map[string]any{
		"apiVersion": kustypes.KustomizationVersion,
		"kind":       kustypes.KustomizationKind,
		"resources":  []string{input},
		"patches":    patches,
	})
	if err != nil {
		return nil, err
	}
	fs := filesys.MakeFsInMemory()
	if err := fs.WriteFile(input, in.Bytes()); err != nil {
		return nil, err
	}
	if err := fs.WriteFile("kustomization.yaml", kust); err != nil {
		return nil, err
	}
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	m, err := krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	}).Run(fs, ".")
	if err != nil {
		return nil, err
	}
	out, err := m.AsYaml()
	return bytes.NewBuffer(out), err
}

// originLabels is helm-controller's last post-renderer: every object gets
// the labels of the HelmRelease it comes from.
type originLabels struct{ name, namespace string }

func (o originLabels) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	m, err := resmap.NewFactory(provider.NewDefaultDepProvider().GetResourceFactory()).NewResMapFromBytes(in.Bytes())
	if err != nil {
		return nil, err
	}
	t := builtins.LabelTransformerPlugin{
		Labels: map[string]string{
			"helm.toolkit.fluxcd.io/name":      o.name,
			"helm.toolkit.fluxcd.io/namespace": o.namespace,
		},
		FieldSpecs: []kustypes.FieldSpec{{Path: "metadata/labels", CreateIfNotPresent: true}},
	}
	if err := t.Transform(m); err != nil {
		return nil, err
	}
	out, err := m.AsYaml()
	return bytes.NewBuffer(out), err
}
