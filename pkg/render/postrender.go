package render

import (
	"bytes"
	"encoding/json"
	"sync"

	//lint:ignore SA1019 helm-controller's origin labels are this plugin; API v1 is not out.
	"sigs.k8s.io/kustomize/api/builtins"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/provider"
	"sigs.k8s.io/kustomize/api/resmap"
	kustypes "sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/apkgen/apkgen/pkg/model"
	"github.com/apkgen/apkgen/pkg/plan"
)

// kustomizeMu serialises kustomize runs: krusty has shared state that is
// not safe for concurrent builds (helm-controller guards it the same way).
var kustomizeMu sync.Mutex

// postRenderer is what the engine runs after Helm, in one kustomize pass:
// the release's patches (a HelmRelease's postRenderers[].kustomize.patches,
// or the patches beside an Argo CD kustomization's helmCharts), then, for
// Flux, helm-controller's last post-renderer: every object gets the labels
// of the HelmRelease it comes from.
type postRenderer struct {
	patches []plan.Patch
	labels  map[string]string // nil: none
}

func (p postRenderer) Run(in *bytes.Buffer) (*bytes.Buffer, error) {
	if len(bytes.TrimSpace(in.Bytes())) == 0 {
		return in, nil
	}
	kustomizeMu.Lock()
	defer kustomizeMu.Unlock()
	var m resmap.ResMap
	var err error
	if len(p.patches) > 0 {
		m, err = patch(in.Bytes(), p.patches)
	} else {
		m, err = resmap.NewFactory(provider.NewDefaultDepProvider().GetResourceFactory()).NewResMapFromBytes(in.Bytes())
	}
	if err != nil {
		return nil, err
	}
	if p.labels != nil {
		t := builtins.LabelTransformerPlugin{
			Labels:     p.labels,
			FieldSpecs: []kustypes.FieldSpec{{Path: "metadata/labels", CreateIfNotPresent: true}},
		}
		if err := t.Transform(m); err != nil {
			return nil, err
		}
	}
	out, err := m.AsYaml()
	return bytes.NewBuffer(out), err
}

// patch makes the rendered chart the only resource of a kustomization with
// the patches, built like helm-controller builds it (no load restrictions,
// no plugins).
func patch(rendered []byte, ps []plan.Patch) (resmap.ResMap, error) {
	const input = "helm-output.yaml"
	patches := model.PatchObjects(ps)
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
	if err := fs.WriteFile(input, rendered); err != nil {
		return nil, err
	}
	if err := fs.WriteFile("kustomization.yaml", kust); err != nil {
		return nil, err
	}
	return krusty.MakeKustomizer(&krusty.Options{
		LoadRestrictions: kustypes.LoadRestrictionsNone,
		PluginConfig:     kustypes.DisabledPluginConfig(),
	}).Run(fs, ".")
}
