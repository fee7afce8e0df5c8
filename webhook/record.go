package webhook

import (
	"context"
	stdjson "encoding/json"
	"fmt"
	"strings"

	"github.com/go-logr/logr"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/internal/logkeys"
	"github.com/driftgate/driftgate/policies"
)

// Limits that keep a record far below etcd's object size limit.
const (
	maxRecordedChanges = 200
	maxRecordedValue   = 4 << 10
)

// Recorder keeps the ledger of writes made outside GitOps.
type Recorder interface {
	// Record stores the edit req makes under res; an error means the write must be denied.
	Record(ctx context.Context, req *Request, res *Result) error
}

// EditRecorder records edits as BreakGlassEdit objects, named after the admission request, so
// the API server calling again for the same request never makes a second record.
type EditRecorder struct {
	Client client.Client
	Clock  clock.PassiveClock
	// Pauser, when set, pauses the written object's GitOps controller once the record exists,
	// before the write lands; it cannot fail the write.
	Pauser Pauser
	Log    logr.Logger
}

// Pauser pauses the GitOps controller of an object a recorded write is about to change, where
// that needs no write to the object itself (an Argo CD Application): its self-heal cannot undo the
// write before the self-heal protection sees it land.
type Pauser interface {
	PauseBefore(ctx context.Context, object *unstructured.Unstructured, e *v1alpha1.BreakGlassEdit) error
}

// Record implements Recorder.
func (r *EditRecorder) Record(ctx context.Context, req *Request, res *Result) error {
	edit := NewEdit(req, res, metav1.NewTime(r.Clock.Now()))
	err := r.Client.Create(ctx, edit)
	if err != nil && !apierrors.IsAlreadyExists(err) {
		return fmt.Errorf("recording the break-glass write: %w", err)
	}
	if r.Pauser != nil && req.Operation != "DELETE" && req.Object != nil && (req.DryRun == nil || !*req.DryRun) {
		if err := r.Pauser.PauseBefore(ctx, &unstructured.Unstructured{Object: req.Object}, edit); err != nil {
			r.Log.Error(err, "pausing the GitOps controller before the break-glass write failed; the self-heal protection follows once it lands",
				logkeys.Name, edit.Name)
		}
	}
	return nil
}

// NewEdit is the record of the write req makes, decided as res.
func NewEdit(req *Request, res *Result, now metav1.Time) *v1alpha1.BreakGlassEdit {
	ref := objectRef(req, res.Input)
	edit := &v1alpha1.BreakGlassEdit{
		ObjectMeta: metav1.ObjectMeta{
			Name:        editName(res.Grant, string(req.UID)),
			Labels:      map[string]string{},
			Annotations: map[string]string{v1alpha1.ObjectAnnotation: objectColumn(ref)},
		},
		Spec: v1alpha1.BreakGlassEditSpec{
			Grant: res.Grant, Ticket: res.Ticket,
			User: req.UserInfo.Username, Time: now,
			Operation: string(req.Operation), Object: ref, RequestUID: string(req.UID),
		},
	}
	if res.Input != nil {
		edit.Spec.Mode = res.Input.Mode
	}
	setLabel(edit.Labels, v1alpha1.GrantLabel, res.Grant)
	setLabel(edit.Labels, v1alpha1.TicketLabel, res.Ticket)
	edit.Spec.Changes, edit.Spec.ChangesTruncated = recordedChanges(res.Changes, ref.IsSecret())
	return edit
}

// objectRef names the object req wrote. A /scale write is recorded on its parent (the kind the
// decision found, at the resource's group and version), where its path spec.replicas is: the
// audit resolves it like any other edit of that object.
func objectRef(req *Request, in *policies.Input) v1alpha1.ObjectReference {
	gv, kind := metav1.GroupVersion{Group: req.Kind.Group, Version: req.Kind.Version}, req.Kind.Kind
	if req.SubResource == "scale" && in != nil && in.Kind != req.Kind.Kind {
		gv, kind = metav1.GroupVersion{Group: req.Resource.Group, Version: req.Resource.Version}, in.Kind
	}
	ref := v1alpha1.ObjectReference{
		APIVersion:  gv.String(),
		Kind:        kind,
		Resource:    ResourceName(req.Resource.Group, req.Resource.Resource),
		Subresource: req.SubResource,
		Namespace:   req.Namespace,
		Name:        req.Name,
	}
	for _, content := range []map[string]any{req.Object, req.OldObject} {
		md, _ := content["metadata"].(map[string]any)
		if uid, _ := md["uid"].(string); uid != "" && ref.UID == "" {
			ref.UID = uid
		}
		if name, _ := md["name"].(string); name != "" && ref.Name == "" {
			ref.Name = name
		}
	}
	if md, _ := req.OldObject["metadata"].(map[string]any); md != nil {
		ref.ResourceVersion, _ = md["resourceVersion"].(string)
	}
	return ref
}

func objectColumn(ref v1alpha1.ObjectReference) string {
	if ref.Namespace == "" {
		return ref.Kind + " " + ref.Name
	}
	return ref.Kind + " " + ref.Namespace + "/" + ref.Name
}

// editName is a DNS subdomain unique to the admission request.
func editName(grant, uid string) string {
	prefix := grant
	if prefix == "" {
		prefix = "unauthorized"
	}
	if len(prefix) > 200 {
		prefix = prefix[:200]
	}
	return strings.TrimSuffix(prefix, ".") + "-" + strings.ToLower(uid)
}

func setLabel(labels map[string]string, key, value string) {
	if value != "" && len(validation.IsValidLabelValue(value)) == 0 {
		labels[key] = value
	}
}

// recordedChanges converts changes for the record: Secret data masked, long values and long
// lists cut, reported by the second result.
func recordedChanges(changes []fieldpath.Change, secret bool) ([]v1alpha1.FieldChange, bool) {
	truncated := len(changes) > maxRecordedChanges
	if truncated {
		changes = changes[:maxRecordedChanges]
	}
	out := make([]v1alpha1.FieldChange, 0, len(changes))
	for _, c := range changes {
		mask := secret && v1alpha1.SecretValuePath(c.Path)
		fc := v1alpha1.FieldChange{Path: c.Path}
		var cut bool
		fc.Old, cut = recordedValue(c.Old, mask)
		truncated = truncated || cut
		fc.New, cut = recordedValue(c.New, mask)
		truncated = truncated || cut
		out = append(out, fc)
	}
	return out, truncated
}

func recordedValue(v any, mask bool) (*apiextensionsv1.JSON, bool) {
	if v == nil {
		return nil, false
	}
	if mask {
		v = v1alpha1.Sensitive
	}
	raw, err := stdjson.Marshal(v)
	if err != nil || len(raw) > maxRecordedValue {
		raw, _ = stdjson.Marshal(fmt.Sprintf("(%d bytes, not recorded)", len(raw)))
		return &apiextensionsv1.JSON{Raw: raw}, true
	}
	return &apiextensionsv1.JSON{Raw: raw}, false
}
