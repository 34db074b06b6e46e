package render

import "github.com/apkgen/apkgen/pkg/model"

// clusterScoped are the cluster-scoped kinds of Kubernetes and of the
// projects APK installs with it, by group and kind ("" is the core group).
// A CustomResourceDefinition rendered with the objects adds its own kind.
var clusterScoped = map[string]bool{
	"/Namespace":                            true,
	"/Node":                                 true,
	"/PersistentVolume":                     true,
	"/ComponentStatus":                      true,
	"rbac.authorization.k8s.io/ClusterRole": true,
	"rbac.authorization.k8s.io/ClusterRoleBinding":                  true,
	"apiextensions.k8s.io/CustomResourceDefinition":                 true,
	"apiregistration.k8s.io/APIService":                             true,
	"admissionregistration.k8s.io/ValidatingWebhookConfiguration":   true,
	"admissionregistration.k8s.io/MutatingWebhookConfiguration":     true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicy":        true,
	"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding": true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicy":          true,
	"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding":   true,
	"scheduling.k8s.io/PriorityClass":                               true,
	"storage.k8s.io/StorageClass":                                   true,
	"storage.k8s.io/CSIDriver":                                      true,
	"storage.k8s.io/CSINode":                                        true,
	"storage.k8s.io/VolumeAttachment":                               true,
	"storage.k8s.io/VolumeAttributesClass":                          true,
	"node.k8s.io/RuntimeClass":                                      true,
	"networking.k8s.io/IngressClass":                                true,
	"networking.k8s.io/IPAddress":                                   true,
	"networking.k8s.io/ServiceCIDR":                                 true,
	"policy/PodSecurityPolicy":                                      true,
	"certificates.k8s.io/CertificateSigningRequest":                 true,
	"certificates.k8s.io/ClusterTrustBundle":                        true,
	"flowcontrol.apiserver.k8s.io/FlowSchema":                       true,
	"flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration":       true,
	"resource.k8s.io/DeviceClass":                                   true,
	"resource.k8s.io/ResourceSlice":                                 true,
	"gateway.networking.k8s.io/GatewayClass":                        true,
	"cert-manager.io/ClusterIssuer":                                 true,
	"trust.cert-manager.io/Bundle":                                  true,
	"policy.networking.k8s.io/AdminNetworkPolicy":                   true,
	"policy.networking.k8s.io/BaselineAdminNetworkPolicy":           true,
	"snapshot.storage.k8s.io/VolumeSnapshotClass":                   true,
	"snapshot.storage.k8s.io/VolumeSnapshotContent":                 true,
}

// Scopes tells whether a kind is cluster-scoped: the kinds Kubernetes and
// the usual add-ons define, and those of the CRDs it has seen.
type Scopes struct{ crds map[string]bool }

// Learn records the scope of the kind a CustomResourceDefinition defines.
func (s *Scopes) Learn(o Object) {
	if o.Kind() != "CustomResourceDefinition" {
		return
	}
	spec, _ := o.Obj["spec"].(map[string]any)
	group, _ := spec["group"].(string)
	names, _ := spec["names"].(map[string]any)
	kind, _ := names["kind"].(string)
	scope, _ := spec["scope"].(string)
	if kind == "" {
		return
	}
	if s.crds == nil {
		s.crds = map[string]bool{}
	}
	s.crds[group+"/"+kind] = scope == "Cluster"
}

// ClusterScoped reports whether objects of the kind have no namespace.
// A kind it does not know is taken as namespaced, as custom kinds mostly are.
// A nil Scopes knows only the built-in kinds.
func (s *Scopes) ClusterScoped(apiVersion, kind string) bool {
	key := model.Group(apiVersion) + "/" + kind
	if s == nil {
		return clusterScoped[key]
	}
	if v, ok := s.crds[key]; ok {
		return v
	}
	return clusterScoped[key]
}
