package audit

import (
	"fmt"
	"slices"
)

// wellKnownClusterScoped reports whether group/kind is a well-known cluster-scoped kind.
func wellKnownClusterScoped(group, kind string) bool {
	switch group + "/" + kind {
	case "/Namespace", "/Node", "/PersistentVolume", "/ComponentStatus",
		"rbac.authorization.k8s.io/ClusterRole", "rbac.authorization.k8s.io/ClusterRoleBinding",
		"apiextensions.k8s.io/CustomResourceDefinition", "apiregistration.k8s.io/APIService",
		"storage.k8s.io/StorageClass", "storage.k8s.io/CSIDriver", "storage.k8s.io/CSINode",
		"storage.k8s.io/VolumeAttachment", "scheduling.k8s.io/PriorityClass",
		"node.k8s.io/RuntimeClass", "networking.k8s.io/IngressClass",
		"admissionregistration.k8s.io/ValidatingWebhookConfiguration",
		"admissionregistration.k8s.io/MutatingWebhookConfiguration",
		"admissionregistration.k8s.io/ValidatingAdmissionPolicy",
		"admissionregistration.k8s.io/ValidatingAdmissionPolicyBinding",
		"admissionregistration.k8s.io/MutatingAdmissionPolicy",
		"admissionregistration.k8s.io/MutatingAdmissionPolicyBinding",
		"certificates.k8s.io/CertificateSigningRequest",
		"flowcontrol.apiserver.k8s.io/FlowSchema", "flowcontrol.apiserver.k8s.io/PriorityLevelConfiguration",
		"driftgate.io/BreakGlassGrant", "driftgate.io/GitSource":
		return true
	}
	return false
}

type groupKind struct{ group, kind string }

// clusterScoped returns the kinds of which a live object has no namespace: cluster-scoped.
func clusterScoped(live []Object) map[groupKind]bool {
	scoped := map[groupKind]bool{}
	for _, o := range live {
		if o.Namespace() == "" {
			scoped[groupKind{o.Group(), o.Kind()}] = true
		}
	}
	return scoped
}

// index keys objects by group, kind, namespace and name. Desired objects of namespaced kinds get
// the default namespace when they have none; cluster-scoped ones lose a namespace set in error.
func (d *Differ) index(side string, objs []Object, scoped map[groupKind]bool, defaulted bool) (map[objectKey]Object, error) {
	idx := make(map[objectKey]Object, len(objs))
	for _, o := range objs {
		ns := o.Namespace()
		switch {
		case scoped[groupKind{o.Group(), o.Kind()}] || wellKnownClusterScoped(o.Group(), o.Kind()):
			ns = ""
		case ns == "" && defaulted:
			ns = d.opts.Namespace
		}
		k := o.key(ns)
		if prev, dup := idx[k]; dup {
			return nil, fmt.Errorf("%s object %s is defined twice: in %s and in %s", side, k, prev.Source, o.Source)
		}
		idx[k] = o
	}
	return idx, nil
}

// Diff compares the desired objects (Git) with the live ones: every desired object is in-sync,
// drifted or missing; every live object that carries a GitOps ownership marker and is not
// desired is orphaned; other live objects are not reported.
func (d *Differ) Diff(desired, live []Object) (*Report, error) {
	scoped := clusterScoped(live)
	want, err := d.index("desired", desired, scoped, true)
	if err != nil {
		return nil, err
	}
	have, err := d.index("live", live, scoped, false)
	if err != nil {
		return nil, err
	}
	objects := make([]ObjectReport, 0, len(want))
	for k, w := range want {
		h, ok := have[k]
		if !ok {
			objects = append(objects, header(w, k, Missing))
			continue
		}
		r, err := d.DiffObject(w, h)
		if err != nil {
			return nil, err
		}
		r.Namespace = k.Namespace
		objects = append(objects, r)
	}
	for k, h := range have {
		if _, ok := want[k]; !ok && d.gitOpsOwned(h) {
			objects = append(objects, header(h, k, Orphaned))
		}
	}
	return newReport(d.opts.Revision, objects), nil
}

func header(o Object, k objectKey, status Status) ObjectReport {
	return ObjectReport{APIVersion: o.APIVersion(), Kind: k.Kind, Namespace: k.Namespace, Name: k.Name, Status: status}
}

// gitOpsOwned reports whether the object carries an ownership marker.
func (d *Differ) gitOpsOwned(o Object) bool {
	m := d.opts.Markers
	labels := m.Labels
	if m.ArgoCDTrackingLabel != "" {
		labels = append(slices.Clip(labels), m.ArgoCDTrackingLabel)
	}
	return hasAnyKey(o.Annotations(), m.Annotations) || hasAnyKey(o.Labels(), labels)
}

func hasAnyKey(m map[string]any, keys []string) bool {
	for _, k := range keys {
		if _, ok := m[k]; ok {
			return true
		}
	}
	return false
}
