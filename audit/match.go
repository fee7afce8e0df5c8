package audit

import (
	"fmt"
	"slices"
	"strings"
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
// drifted or missing, except those Git marks driftgate.io/skip: "true", which are listed as
// skipped and neither diffed nor missing, and whose live copies are never orphaned; a live object that is not desired is orphaned when it carries the ownership
// marker of a GitOps app whose objects this Git holds (see apps), and not reported otherwise.
func (d *Differ) Diff(desired, live []Object) (*Report, error) {
	want, have, err := d.pair(desired, live)
	if err != nil {
		return nil, err
	}
	objects := make([]ObjectReport, 0, len(want))
	var skipped []ObjectReport
	apps := map[app]bool{}
	for k, w := range want {
		if Skipped(w) {
			r := header(w, k, Skip)
			r.Fields = []Field{}
			skipped = append(skipped, r)
			continue
		}
		h, ok := have[k]
		if !ok {
			objects = append(objects, header(w, k, Missing))
			continue
		}
		for _, a := range d.apps(h) {
			apps[a] = true
		}
		r, err := d.DiffObject(w, h)
		if err != nil {
			return nil, err
		}
		r.Namespace = k.Namespace
		objects = append(objects, r)
	}
	for k, h := range have {
		if _, ok := want[k]; !ok && !IsHook(h) && !extraneousAllowed(h) && selfTracked(h) && slices.ContainsFunc(d.apps(h), func(a app) bool { return apps[a] }) {
			objects = append(objects, header(h, k, Orphaned))
		}
	}
	rep := newReport(d.opts.Revision, objects)
	sortReports(skipped)
	rep.Skipped = skipped
	rep.Summary.Skipped = len(skipped)
	return rep, nil
}

// pair indexes Git's objects (namespaces defaulted) and the live ones by key, cluster scope told
// by the live objects.
func (d *Differ) pair(desired, live []Object) (want, have map[objectKey]Object, err error) {
	scoped := clusterScoped(live)
	if want, err = d.index("desired", desired, scoped, true); err != nil {
		return nil, nil, err
	}
	if have, err = d.index("live", live, scoped, false); err != nil {
		return nil, nil, err
	}
	return want, have, nil
}

func header(o Object, k objectKey, status Status) ObjectReport {
	return ObjectReport{APIVersion: o.APIVersion(), Kind: k.Kind, Namespace: k.Namespace, Name: k.Name, Status: status}
}

// Ownership markers whose value is read with another label or in part.
const (
	argoCDTrackingID     = "argocd.argoproj.io/tracking-id"
	fluxKustomizationKey = "kustomize.toolkit.fluxcd.io/name"
	fluxHelmReleaseKey   = "helm.toolkit.fluxcd.io/name"
	fluxNamespaceSuffix  = "/namespace"
	// argoCDApp is the kind of app both of Argo CD's markers name: an Application.
	argoCDApp = "argocd.argoproj.io/application"
)

// app is one GitOps app an ownership marker names: the marker's kind (the marker key, or
// argoCDApp for both of Argo CD's markers) and the app's name within it.
type app struct{ marker, name string }

// apps are the GitOps apps the object's ownership markers name (Options.Markers), each marker
// as the GitOps tool means it:
//   - Flux's kustomize.toolkit.fluxcd.io/name and helm.toolkit.fluxcd.io/name labels, with the
//     namespace label beside each (.../namespace): the Kustomization or HelmRelease, namespace
//     and name;
//   - Argo CD's tracking-id annotation (<app>:<group>/<kind>:<namespace>/<name>, read up to the
//     first colon) and the configured tracking label: the Application, one app for both;
//   - any other marker (driftgate.io/owned-by): its value, the same as a label or an annotation.
func (d *Differ) apps(o Object) []app {
	m := d.opts.Markers
	labels, annotations := o.Labels(), o.Annotations()
	var out []app
	for _, key := range m.Annotations {
		if v, ok := annotations[key]; ok {
			out = append(out, markerApp(key, str(v), labels))
		}
	}
	for _, key := range m.Labels {
		if v, ok := labels[key]; ok {
			out = append(out, markerApp(key, str(v), labels))
		}
	}
	if key := m.ArgoCDTrackingLabel; key != "" {
		if v, ok := labels[key]; ok {
			out = append(out, app{marker: argoCDApp, name: str(v)})
		}
	}
	return out
}

// extraneousAllowed reports whether Argo CD is told not to count the object against its
// Application when Git lacks it (argocd.argoproj.io/compare-options: IgnoreExtraneous).
func extraneousAllowed(o Object) bool {
	opts, _ := o.Annotations()["argocd.argoproj.io/compare-options"].(string)
	for opt := range strings.SplitSeq(opts, ",") {
		if strings.TrimSpace(opt) == "IgnoreExtraneous" {
			return true
		}
	}
	return false
}

// selfTracked reports whether the object's Argo CD tracking-id, if any
// (<app>:<group>/<kind>:<namespace>/<name>), names the object itself, as Argo CD checks it: one
// naming another object was copied onto it (by a controller, from a template) and does not make
// it the Application's.
func selfTracked(o Object) bool {
	id, ok := o.Annotations()[argoCDTrackingID].(string)
	if !ok {
		return true
	}
	parts := strings.SplitN(id, ":", 3)
	if len(parts) != 3 {
		return true
	}
	group, kind, _ := strings.Cut(parts[1], "/")
	ns, name, _ := strings.Cut(parts[2], "/")
	return group == o.Group() && kind == o.Kind() && name == o.Name() && (o.Namespace() == "" || ns == o.Namespace())
}

// markerApp is the app that the marker key with value v names on an object with these labels.
func markerApp(key, v string, labels map[string]any) app {
	switch key {
	case argoCDTrackingID:
		name, _, _ := strings.Cut(v, ":")
		return app{marker: argoCDApp, name: name}
	case fluxKustomizationKey, fluxHelmReleaseKey:
		ns := str(labels[strings.TrimSuffix(key, "/name")+fluxNamespaceSuffix])
		return app{marker: key, name: ns + "/" + v}
	}
	return app{marker: key, name: v}
}
