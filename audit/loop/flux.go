package loop

import (
	"context"
	"fmt"
	"strings"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/live"
	"github.com/driftgate/driftgate/audit/source"
)

// The Flux API groups a sourceRef is read from.
const (
	fluxKustomizeGroup = "kustomize.toolkit.fluxcd.io"
	fluxSourceGroup    = "source.toolkit.fluxcd.io"
)

// kustomizationKind is the Flux Kustomization's group and kind.
func kustomizationKind() schema.GroupKind {
	return schema.GroupKind{Group: fluxKustomizeGroup, Kind: v1alpha1.SourceKindKustomization}
}

// fluxSource reads the Flux Kustomization a source names, the artifact of its own source, and
// what it says of its sync. The sync is returned whenever the Kustomization could be read.
func (r *Reconciler) fluxSource(ctx context.Context, ref *v1alpha1.GitOpsReference) (source.Flux, *v1alpha1.SyncStatus, error) {
	ks, err := r.getLatest(ctx, kustomizationKind(), ref.Namespace, ref.Name)
	if err != nil {
		return source.Flux{}, nil, fmt.Errorf("reading Kustomization %s/%s: %w", ref.Namespace, ref.Name, err)
	}
	sync := kustomizationSync(ks)
	kind, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "kind")
	name, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "name")
	ns, _, _ := unstructured.NestedString(ks.Object, "spec", "sourceRef", "namespace")
	if ns == "" {
		ns = ks.GetNamespace()
	}
	src, err := r.getLatest(ctx, schema.GroupKind{Group: fluxSourceGroup, Kind: kind}, ns, name)
	if err != nil {
		return source.Flux{}, sync, fmt.Errorf("reading the Kustomization's source %s %s/%s: %w", kind, ns, name, err)
	}
	art := source.Artifact{}
	art.URL, _, _ = unstructured.NestedString(src.Object, "status", "artifact", "url")
	art.Digest, _, _ = unstructured.NestedString(src.Object, "status", "artifact", "digest")
	art.Revision, _, _ = unstructured.NestedString(src.Object, "status", "artifact", "revision")
	offeredAt, _, _ := unstructured.NestedString(src.Object, "status", "artifact", "lastUpdateTime")
	checkReconciling(sync, art.Revision, offeredAt, specInterval(ks), r.Clock.Now())
	if art.URL == "" {
		return source.Flux{}, sync, fmt.Errorf("%s %s/%s has no artifact yet: %s", kind, ns, name, readyMessage(src))
	}
	return source.Flux{Kustomization: *ks, Artifact: art, Variables: r.Direct}, sync, nil
}

// getLatest reads an object of gk uncached, in the version the API server prefers.
func (r *Reconciler) getLatest(ctx context.Context, gk schema.GroupKind, ns, name string) (*unstructured.Unstructured, error) {
	m, err := r.Mapper.RESTMapping(gk)
	if err != nil {
		return nil, fmt.Errorf("the cluster does not serve %s: %w", gk, err)
	}
	u := &unstructured.Unstructured{}
	u.SetGroupVersionKind(m.GroupVersionKind)
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, u); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, fmt.Errorf("not found")
		}
		return nil, err
	}
	return u, nil
}

// kustomizationSync is what a Kustomization's status says of its last sync (fluxSync), the
// revision applied being status.lastAppliedRevision.
func kustomizationSync(ks *unstructured.Unstructured) *v1alpha1.SyncStatus {
	applied, _, _ := unstructured.NestedString(ks.Object, "status", "lastAppliedRevision")
	return fluxSync(ks, applied)
}

// fluxSync is what a Flux object's status says of its last sync, applied being the revision it
// last applied (each kind says it in its own field). It is failing when its Ready condition is
// False; while it is still applying a revision (Ready Unknown), the revision audited is pending
// (behind), not failing.
func fluxSync(u *unstructured.Unstructured, applied string) *v1alpha1.SyncStatus {
	s := &v1alpha1.SyncStatus{AppliedRevision: applied}
	s.AttemptedRevision, _, _ = unstructured.NestedString(u.Object, "status", "lastAttemptedRevision")
	status, reason, message := readyCondition(u)
	s.Reason, s.Message = reason, message
	s.Failing = status == "False"
	return s
}

// readyCondition is an object's Ready condition (Flux's kstatus conditions).
func readyCondition(u *unstructured.Unstructured) (status, reason, message string) {
	conds, _, _ := unstructured.NestedSlice(u.Object, "status", "conditions")
	for _, c := range conds {
		m, ok := c.(map[string]any)
		if !ok || m["type"] != "Ready" {
			continue
		}
		status, _ = m["status"].(string)
		reason, _ = m["reason"].(string)
		message, _ = m["message"].(string)
		return status, reason, message
	}
	return "Unknown", "", ""
}

func readyMessage(u *unstructured.Unstructured) string {
	if _, _, msg := readyCondition(u); msg != "" {
		return msg
	}
	return "it is not Ready"
}

// behind reports whether the GitOps controller has not applied the revision audited: its sync
// is failing, or it has not got to that revision, or to its object's current spec, yet.
func behind(sync *v1alpha1.SyncStatus, revision string) bool {
	return sync != nil && (sync.Failing || sync.NotReconciling || sync.SpecPending || revision == "" ||
		!strings.HasPrefix(source.FluxDigest(sync.AppliedRevision), revision))
}

// pendingObjects marks what differs from Git only because the GitOps controller has not applied
// it: objects missing or orphaned, and drifted objects no person's tool wrote a drifted field of.
// An object a person changed stays drifted: that is their edit, whatever the controller does.
func pendingObjects(rep *audit.Report, person func(manager string) bool) map[live.Key]bool {
	pending := map[live.Key]bool{}
	for _, o := range rep.Objects {
		switch o.Status {
		case audit.Missing, audit.Orphaned:
			pending[reportKey(o)] = true
		case audit.Drifted:
			byPerson := false
			for _, f := range o.Fields {
				byPerson = byPerson || person(f.Manager)
			}
			if !byPerson {
				pending[reportKey(o)] = true
			}
		}
	}
	return pending
}

// fluxMoved reports whether the Flux object a source names (a Kustomization or a HelmRelease)
// has applied or attempted another revision, or started or stopped failing, since the source
// was last fetched; for an Argo CD Application, applicationMoved.
func (r *Reconciler) fluxMoved(ctx context.Context, gs *v1alpha1.GitSource) bool {
	ref := gs.Spec.SourceRef
	if ref == nil {
		return false
	}
	if ref.Kind == v1alpha1.SourceKindApplication {
		return r.applicationMoved(ctx, gs)
	}
	obj, sync := newKustomization(), kustomizationSync
	if ref.Kind == v1alpha1.SourceKindHelmRelease {
		obj, sync = newHelmRelease(), helmReleaseSync
	}
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: ref.Namespace, Name: ref.Name}, obj); err != nil {
		return false
	}
	// A spec helm-controller has not applied yet, or has now applied, moves it too.
	now, last := sync(obj), r.state.get(gs.Name).sync
	return last == nil || now.AppliedRevision != last.AppliedRevision ||
		now.AttemptedRevision != last.AttemptedRevision || now.Failing != last.Failing || now.SpecPending != last.SpecPending
}
