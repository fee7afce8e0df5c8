package audit

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

func timedEntry(manager, operation, at, fieldsV1 string) string {
	return "  - {manager: " + manager + ", operation: " + operation + ", time: '" + at +
		"', apiVersion: apps/v1, fieldsType: FieldsV1, fieldsV1: " + fieldsV1 + "}\n"
}

func TestWriters(t *testing.T) {
	const image = "spec.template.spec.containers[name=app].image"
	at := func(s string) time.Time {
		v, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return v
	}
	tests := []struct {
		name  string
		meta  string
		paths []string
		want  []FieldWriter
	}{{
		name:  "Flux's apply took the image back: the GitOps controller wrote it",
		meta:  "  managedFields:\n" + timedEntry("kustomize-controller", "Apply", "2026-12-06T10:00:00Z", appImage),
		paths: []string{image},
		want:  []FieldWriter{{Manager: "kustomize-controller", GitOps: true, Time: at("2026-12-06T10:00:00Z")}},
	}, {
		name: "a person's kubectl set image owns it; Flux owns other fields only",
		meta: "  managedFields:\n" +
			timedEntry("kustomize-controller", "Apply", "2026-12-06T10:05:00Z", "{f:spec: {f:replicas: {}}}") +
			timedEntry("kubectl-set", "Update", "2026-12-06T10:01:00Z", appImage),
		paths: []string{image},
		want:  []FieldWriter{{Manager: "kubectl-set", Time: at("2026-12-06T10:01:00Z")}},
	}, {
		name: "co-owned: the latest write first",
		meta: "  managedFields:\n" +
			timedEntry("kubectl-set", "Update", "2026-12-06T10:01:00Z", appImage) +
			timedEntry("kustomize-controller", "Apply", "2026-12-06T10:03:00Z", appImage),
		paths: []string{image},
		want: []FieldWriter{
			{Manager: "kustomize-controller", GitOps: true, Time: at("2026-12-06T10:03:00Z")},
			{Manager: "kubectl-set", Time: at("2026-12-06T10:01:00Z")},
		},
	}, {
		name:  "the item of another container is not the edited one",
		meta:  "  managedFields:\n" + timedEntry("kubectl-set", "Update", "2026-12-06T10:01:00Z", `{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"sidecar"}': {f:image: {}}}}}}}`),
		paths: []string{image},
		want:  []FieldWriter{},
	}, {
		name:  "a field that is gone has no writer",
		meta:  "  managedFields:\n" + timedEntry("kustomize-controller", "Apply", "2026-12-06T10:00:00Z", appImage),
		paths: []string{"spec.template.spec.containers[name=app].resources.limits.memory"},
		want:  []FieldWriter{},
	}, {
		name:  "no managedFields",
		paths: []string{image},
		want:  nil,
	}, {
		name:  "an unreadable path is skipped",
		meta:  "  managedFields:\n" + timedEntry("kustomize-controller", "Apply", "2026-12-06T10:00:00Z", appImage),
		paths: []string{"spec..x", image},
		want:  []FieldWriter{{Manager: "kustomize-controller", GitOps: true, Time: at("2026-12-06T10:00:00Z")}},
	}}
	d := newTestDiffer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := parseOne(t, "live", deploy(tt.meta, container))
			if diff := cmp.Diff(tt.want, d.Writers(live, tt.paths)); diff != "" {
				t.Errorf("Writers (-want +got):\n%s", diff)
			}
		})
	}
}

func TestRevertedBy(t *testing.T) {
	const image = "spec.template.spec.containers[name=app].image"
	at := func(sec int) metav1.Time { return metav1.NewTime(time.Date(2026, 12, 6, 10, 0, sec, 0, time.UTC)) }
	obj := v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web"}
	write := func(name, user string, when metav1.Time, rv, old, new string) v1alpha1.BreakGlassEdit {
		ref := obj
		ref.ResourceVersion = rv
		return v1alpha1.BreakGlassEdit{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.BreakGlassEditSpec{
			User: user, Time: when, Operation: "UPDATE", Object: ref,
			Changes: []v1alpha1.FieldChange{{Path: image, Old: &apiextensionsv1.JSON{Raw: []byte(old)}, New: &apiextensionsv1.JSON{Raw: []byte(new)}}}}}
	}
	fix := write("fix", "alice", at(10), "5", `"web:1"`, `"web:2"`)
	fluxOwns := deploy("  managedFields:\n"+timedEntry("kustomize-controller", "Apply", "2026-12-06T10:00:30Z", appImage), container)
	kubectlOwns := deploy("  managedFields:\n"+timedEntry("kubectl-set", "Update", "2026-12-06T10:00:20Z", appImage), container)
	tests := []struct {
		name   string
		others []v1alpha1.BreakGlassEdit
		live   string
		want   *v1alpha1.Reverter
	}{{
		name: "Flux's self-heal: no recorded write, kustomize-controller owns the image",
		live: fluxOwns,
		want: &v1alpha1.Reverter{FieldManager: "kustomize-controller", GitOps: true, Time: ptr(metav1.NewTime(time.Date(2026, 12, 6, 10, 0, 30, 0, time.UTC)))},
	}, {
		name:   "alice set the image back under her grant: her record, her tool",
		others: []v1alpha1.BreakGlassEdit{write("back", "alice", at(20), "6", `"web:2"`, `"web:1"`)},
		live:   kubectlOwns,
		want:   &v1alpha1.Reverter{User: "alice", Edit: "back", FieldManager: "kubectl-set", Time: ptr(at(20))},
	}, {
		name:   "alice set it back, then Flux's apply took the field over: still alice",
		others: []v1alpha1.BreakGlassEdit{write("back", "alice", at(20), "6", `"web:2"`, `"web:1"`)},
		live:   fluxOwns,
		want:   &v1alpha1.Reverter{User: "alice", Edit: "back", Time: ptr(at(20))},
	}, {
		name:   "a later write to another value is not a revert",
		others: []v1alpha1.BreakGlassEdit{write("other", "carol", at(20), "6", `"web:2"`, `"web:3"`)},
		live:   fluxOwns,
		want:   &v1alpha1.Reverter{FieldManager: "kustomize-controller", GitOps: true, Time: ptr(metav1.NewTime(time.Date(2026, 12, 6, 10, 0, 30, 0, time.UTC)))},
	}, {
		name:   "the write the fix replaced, in the same second, is not after it",
		others: []v1alpha1.BreakGlassEdit{write("before", "carol", at(10), "4", `"web:0"`, `"web:1"`)},
		live:   kubectlOwns,
		want:   &v1alpha1.Reverter{FieldManager: "kubectl-set", Time: ptr(at(20))},
	}, {
		name:   "a revert in the same second, of a later version",
		others: []v1alpha1.BreakGlassEdit{write("quick", "bob", at(10), "7", `"web:2"`, `"web:1"`)},
		live:   kubectlOwns,
		want:   &v1alpha1.Reverter{User: "bob", Edit: "quick", FieldManager: "kubectl-set", Time: ptr(at(10))},
	}, {
		name: "nobody can be told",
		live: deploy("", container),
	}}
	d := newTestDiffer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			live := parseOne(t, "live", tt.live)
			all := append([]v1alpha1.BreakGlassEdit{fix}, tt.others...)
			if diff := cmp.Diff(tt.want, d.RevertedBy(&fix, all, &live)); diff != "" {
				t.Errorf("RevertedBy (-want +got):\n%s", diff)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

func TestRetriedAs(t *testing.T) {
	const image = "spec.template.spec.containers[name=app].image"
	obj := v1alpha1.ObjectReference{APIVersion: "apps/v1", Kind: "Deployment", Namespace: "prod", Name: "web"}
	write := func(name, user string, sec int, rv, new string) v1alpha1.BreakGlassEdit {
		ref := obj
		ref.ResourceVersion = rv
		return v1alpha1.BreakGlassEdit{ObjectMeta: metav1.ObjectMeta{Name: name}, Spec: v1alpha1.BreakGlassEditSpec{
			User: user, Grant: "g", Time: metav1.NewTime(time.Date(2026, 12, 6, 10, 0, sec, 0, time.UTC)), Operation: "UPDATE", Object: ref,
			Changes: []v1alpha1.FieldChange{{Path: image, Old: &apiextensionsv1.JSON{Raw: []byte(`"web:1"`)}, New: &apiextensionsv1.JSON{Raw: []byte(new)}}}}}
	}
	first := write("first", "alice", 10, "5", `"web:2"`)
	tests := []struct {
		name  string
		other v1alpha1.BreakGlassEdit
		want  string
	}{
		{"the API server's retry after a conflict: same second, newer version", write("retry", "alice", 10, "7", `"web:2"`), "retry"},
		{"a retry a second later", write("retry", "alice", 11, "7", `"web:2"`), "retry"},
		{"another value is another write", write("other", "alice", 10, "7", `"web:3"`), ""},
		{"another person's write", write("other", "bob", 10, "7", `"web:2"`), ""},
		{"the write before it is not its retry", write("before", "alice", 10, "3", `"web:2"`), ""},
		{"too late to be a retry", write("later", "alice", 20, "9", `"web:2"`), ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := ""
			if r := RetriedAs(&first, []v1alpha1.BreakGlassEdit{first, tt.other}); r != nil {
				got = r.Name
			}
			if got != tt.want {
				t.Errorf("RetriedAs = %q, want %q", got, tt.want)
			}
		})
	}
}
