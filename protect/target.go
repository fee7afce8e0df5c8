package protect

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/audit"
)

// pauseTarget is where driftgate pauses the GitOps controller of an edited object: Flux's switch
// on the object itself, or, for Argo CD, which has no per-object switch, the object's
// Application.
type pauseTarget struct {
	obj        *unstructured.Unstructured // carries the switch
	annotation string                     // the switch
	paused     string                     // its value while paused
	controller string                     // who is paused: "Flux", "Argo CD"
	app        string                     // the Argo CD application ("<namespace>/<name>"); "" for Flux
}

// name is "Deployment shop/checkout" or "Argo CD Application argocd/shop".
func (t *pauseTarget) name() string {
	if t.app != "" {
		return "Argo CD Application " + t.app
	}
	return t.obj.GetKind() + " " + t.obj.GetNamespace() + "/" + t.obj.GetName()
}

// key identifies the target in the metrics.
func (t *pauseTarget) key() string {
	return keyOf(t.obj.GetAPIVersion(), t.obj.GetKind(), t.obj.GetNamespace(), t.obj.GetName())
}

// holds says what the pause does, for the edits' condition.
func (t *pauseTarget) holds() string {
	if t.app != "" {
		return "Argo CD reconciles none of the application's objects until every edit of them is resolved"
	}
	return "Flux leaves it alone until every edit of it is resolved"
}

// pausedByOthers reports whether the switch is set, and not by driftgate (Git sets it, or a
// GitOps identity): not driftgate's to lift.
func (t *pauseTarget) pausedByOthers() bool {
	ann := t.obj.GetAnnotations()
	return ann[t.annotation] == t.paused && ann[ProtectedEdits] == ""
}

// targetOf finds where obj's GitOps controller is paused; nil, with why not, when it cannot be.
func (p *Protector) targetOf(ctx context.Context, obj *unstructured.Unstructured) (*pauseTarget, protection, error) {
	if obj.GetLabels()[fluxMarker] != "" {
		return &pauseTarget{obj: obj, annotation: FluxReconcile, paused: "disabled", controller: "Flux"}, protection{}, nil
	}
	namespace, name, ok := p.argoApp(obj)
	if !ok {
		return nil, protection{reason: ReasonNoSwitch, message: "the object is applied by neither Flux nor Argo CD: driftgate has no switch to pause its GitOps controller"}, nil
	}
	app := &unstructured.Unstructured{}
	app.SetAPIVersion("argoproj.io/v1alpha1")
	app.SetKind("Application")
	err := p.Reader.Get(ctx, client.ObjectKey{Namespace: namespace, Name: name}, app)
	switch {
	case apierrors.IsNotFound(err) || apimeta.IsNoMatchError(err):
		return nil, protection{reason: ReasonNoSwitch, message: fmt.Sprintf("the object's Argo CD Application %s/%s does not exist: driftgate has nothing to pause", namespace, name)}, nil
	case err != nil:
		return nil, protection{}, fmt.Errorf("reading Argo CD Application %s/%s: %w", namespace, name, err)
	}
	return &pauseTarget{obj: app, annotation: ArgoSkipReconcile, paused: "true", controller: "Argo CD", app: namespace + "/" + name}, protection{}, nil
}

// argoApp is the namespace and name of the Argo CD Application that tracks obj.
func (p *Protector) argoApp(obj *unstructured.Unstructured) (namespace, name string, ok bool) {
	app := ""
	if id := obj.GetAnnotations()[argoTrackingID]; id != "" {
		app, _, _ = strings.Cut(id, ":")
	} else if p.ArgoCDTrackingLabel != "" {
		app = obj.GetLabels()[p.ArgoCDTrackingLabel]
	}
	if app == "" {
		return "", "", false
	}
	if ns, n, found := strings.Cut(app, "_"); found {
		return ns, n, true
	}
	return p.ArgoCDNamespace, app, true
}

// held are the open edits the target is paused for, their writes landed: the Required edits of
// obj, and for an Argo CD Application those of every object it tracks. waiting is true when a
// recorded write may still land. Without a target, obj's own. skipped are the open edits of
// those objects that Git marks driftgate.io/skip: the audit never decides them, so a pause held
// for them would never be lifted; they are not held for.
func (p *Protector) held(ctx context.Context, t *pauseTarget, obj *unstructured.Unstructured) (open, skipped []v1alpha1.BreakGlassEdit, waiting bool, err error) {
	var list v1alpha1.BreakGlassEditList
	if err := p.Client.List(ctx, &list); err != nil {
		return nil, nil, false, fmt.Errorf("listing break-glass edits: %w", err)
	}
	lives := map[v1alpha1.ObjectReference]*unstructured.Unstructured{}
	for _, e := range list.Items {
		if !e.Open() || e.DeletionTimestamp != nil || e.Spec.Object.Namespace == "" || e.Spec.Operation == "DELETE" {
			continue
		}
		live, err := p.memberLive(ctx, t, obj, e.Spec.Object, lives)
		if err != nil {
			return nil, nil, false, err
		}
		switch {
		case live == nil:
		case e.SkippedInGit() != "":
			skipped = append(skipped, e)
		case audit.Landed(audit.EditOf(&e), &audit.Object{Source: "live", Content: live.Object}):
			open = append(open, e)
		case time.Since(e.Spec.Time.Time) < audit.LandingGrace:
			waiting = true
		}
	}
	byName := func(a, b v1alpha1.BreakGlassEdit) int { return strings.Compare(a.Name, b.Name) }
	slices.SortFunc(open, byName)
	slices.SortFunc(skipped, byName)
	return open, skipped, waiting, nil
}

// memberLive is the live object ref names when the target pauses it (obj itself, or an object of
// the same Argo CD application), else nil. Objects read are kept in lives.
func (p *Protector) memberLive(ctx context.Context, t *pauseTarget, obj *unstructured.Unstructured, ref v1alpha1.ObjectReference,
	lives map[v1alpha1.ObjectReference]*unstructured.Unstructured) (*unstructured.Unstructured, error) {
	if sameObject(ref, obj) {
		return obj, nil
	}
	if t == nil || t.app == "" {
		return nil, nil
	}
	key := v1alpha1.ObjectReference{APIVersion: ref.APIVersion, Kind: ref.Kind, Namespace: ref.Namespace, Name: ref.Name}
	live, seen := lives[key]
	if !seen {
		var err error
		if live, err = p.live(ctx, ref); err != nil {
			return nil, err
		}
		lives[key] = live
	}
	if live == nil {
		return nil, nil
	}
	if ns, name, ok := p.argoApp(live); !ok || ns+"/"+name != t.app {
		return nil, nil
	}
	return live, nil
}

func sameObject(ref v1alpha1.ObjectReference, obj *unstructured.Unstructured) bool {
	return ref.APIVersion == obj.GetAPIVersion() && ref.Kind == obj.GetKind() && ref.Namespace == obj.GetNamespace() && ref.Name == obj.GetName()
}
