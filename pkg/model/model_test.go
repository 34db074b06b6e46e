package model

import (
	"encoding/json"
	"testing"
)

// A cluster object is "<group>/<kind>/<name>" in JSON, the core group
// empty, and the name may hold what a glob holds.
func TestClusterObjectJSON(t *testing.T) {
	for text, want := range map[string]ClusterObject{
		`"rbac.authorization.k8s.io/ClusterRole/apk-dev-wso2-apk-*"`: {"rbac.authorization.k8s.io", "ClusterRole", "apk-dev-wso2-apk-*"},
		`"/Namespace/apk-dev"`: {"", "Namespace", "apk-dev"},
	} {
		var got ClusterObject
		if err := json.Unmarshal([]byte(text), &got); err != nil || got != want {
			t.Errorf("%s: got %+v, %v; want %+v", text, got, err, want)
		}
		if back, err := json.Marshal(got); err != nil || string(back) != text {
			t.Errorf("%+v: marshalled %s, %v; want %s", got, back, err, text)
		}
	}
	for _, bad := range []string{`"ClusterRole"`, `"g/ClusterRole"`, `"g//n"`, `"g/ClusterRole/"`, `{"group": "g", "kind": "k", "name": "n"}`} {
		var o ClusterObject
		if err := json.Unmarshal([]byte(bad), &o); err == nil {
			t.Errorf("%s: read as %+v", bad, o)
		}
	}
}
