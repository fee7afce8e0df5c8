package report

import (
	"bytes"
	"encoding/json"
	"slices"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// editOf is the report's view of an edit; known tells whether its grant still exists.
func editOf(e *v1alpha1.BreakGlassEdit, known grantIndex) Edit {
	_, found := known[e.Spec.Grant]
	return Edit{
		Name:             e.Name,
		Grant:            e.Spec.Grant,
		GrantFound:       e.Spec.Grant != "" && found,
		Ticket:           e.Spec.Ticket,
		User:             e.Spec.User,
		Time:             utc(e.Spec.Time.Time),
		Operation:        e.Spec.Operation,
		Mode:             e.Spec.Mode,
		Object:           objectOf(e.Spec.Object),
		Changes:          changesOf(e),
		ChangesTruncated: e.Spec.ChangesTruncated,
		Backport:         backportOf(e),
		SelfHeal:         selfHealOf(e),
	}
}

func selfHealOf(e *v1alpha1.BreakGlassEdit) *SelfHeal {
	c := apimeta.FindStatusCondition(e.Status.Conditions, v1alpha1.SelfHealProtected)
	if c == nil {
		return nil
	}
	return &SelfHeal{Protected: c.Status == metav1.ConditionTrue, Reason: c.Reason, Message: c.Message}
}

func objectOf(r v1alpha1.ObjectReference) Object {
	return Object{APIVersion: r.APIVersion, Kind: r.Kind, Resource: r.Resource, Subresource: r.Subresource,
		Namespace: r.Namespace, Name: r.Name}
}

// backportState is the edit's state; an edit with none yet is Required (the CRD's default).
func backportState(e *v1alpha1.BreakGlassEdit) string {
	if e.Status.Backport == "" {
		return string(v1alpha1.BackportRequired)
	}
	return string(e.Status.Backport)
}

func backportOf(e *v1alpha1.BreakGlassEdit) Backport {
	open := slices.Clone(e.Status.OpenPaths)
	slices.Sort(open)
	return Backport{
		State:        backportState(e),
		Revision:     e.Status.Revision,
		ResolvedAt:   utcPtr(e.Status.ResolvedAt),
		GitSource:    e.Status.GitSource,
		File:         e.Status.File,
		OpenPaths:    nonNil(slices.Compact(open)),
		RevertedBy:   revertedByOf(e.Status.RevertedBy),
		SkippedInGit: e.SkippedInGit(),
	}
}

func revertedByOf(r *v1alpha1.Reverter) *RevertedBy {
	if r == nil {
		return nil
	}
	return &RevertedBy{FieldManager: r.FieldManager, User: r.User, Edit: r.Edit, GitOps: r.GitOps, Time: utcPtr(r.Time)}
}

// changesOf lists the changed paths in recorded order, values compact, Secret values masked.
func changesOf(e *v1alpha1.BreakGlassEdit) []Change {
	secret := e.Spec.Object.IsSecret()
	out := make([]Change, 0, len(e.Spec.Changes))
	for _, c := range e.Spec.Changes {
		mask := secret && v1alpha1.SecretValuePath(c.Path)
		out = append(out, Change{Path: c.Path, Old: value(c.Old, mask), New: value(c.New, mask)})
	}
	return out
}

// value is a recorded value as compact JSON: null when absent, "(sensitive)" when masked.
func value(v *apiextensionsv1.JSON, mask bool) json.RawMessage {
	if v == nil || len(v.Raw) == 0 || string(v.Raw) == "null" {
		return json.RawMessage("null")
	}
	if mask {
		return json.RawMessage(`"` + v1alpha1.Sensitive + `"`)
	}
	var b bytes.Buffer
	if err := json.Compact(&b, v.Raw); err != nil {
		return json.RawMessage(`"(unreadable value)"`)
	}
	return b.Bytes()
}
