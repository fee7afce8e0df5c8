package audit

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const memLimit = `{f:spec: {f:template: {f:spec: {f:containers: {'k:{"name":"app"}': {f:resources: {f:limits: {f:memory: {}}}}}}}}}`

func withResources(image, memory string) string {
	c := strings.Replace(container, "web:1", image, 1)
	if memory != "" {
		c += "        resources:\n          limits:\n            memory: " + memory + "\n"
	}
	return c
}

func TestBackport(t *testing.T) {
	imageEdit := Edit{Operation: "UPDATE", Changes: []EditChange{
		{Path: "spec.template.spec.containers[name=app].image", Old: "web:1", New: "web:2"}}}
	memEdit := Edit{Operation: "UPDATE", Changes: []EditChange{
		{Path: "spec.template.spec.containers[name=app].resources.limits.memory", Old: "256Mi", New: "1Gi"}}}
	flux := managed("kustomize-controller", "Apply", appImage)
	tests := []struct {
		name          string
		edit          Edit
		desired, live string // "" = absent
		want          Resolution
	}{{
		name:    "image still differs from Git: required",
		edit:    imageEdit,
		desired: deploy("", withResources("web:1", "")),
		live:    deploy(managed("kubectl-set", "Update", appImage), withResources("web:2", "")),
		want: Resolution{State: BackportRequired, Open: []string{"spec.template.spec.containers[name=app].image"},
			Reason: "live and Git still differ at the edited paths"},
	}, {
		name:    "Git now has the new image: backported",
		edit:    imageEdit,
		desired: deploy("", withResources("web:2", "")),
		live:    deploy(managed("kubectl-set", "Update", appImage), withResources("web:2", "")),
		want:    Resolution{State: BackportDone, Reason: "Git holds the values the edit wrote"},
	}, {
		name:    "live back on Git's image: reverted",
		edit:    imageEdit,
		desired: deploy("", withResources("web:1", "")),
		live:    deploy(flux, withResources("web:1", "")),
		want:    Resolution{State: BackportReverted, Reason: "live holds Git's values again at the edited paths"},
	}, {
		name:    "Git holds the memory limit spelled differently: backported",
		edit:    memEdit,
		desired: deploy("", withResources("web:1", "1024Mi")),
		live:    deploy(managed("kubectl-edit", "Update", memLimit), withResources("web:1", "1Gi")),
		want:    Resolution{State: BackportDone, Reason: "Git holds the values the edit wrote"},
	}, {
		name:    "a field the edit added, removed again live: reverted",
		edit:    memEdit,
		desired: deploy("", withResources("web:1", "")),
		live:    deploy(flux, withResources("web:1", "")),
		want:    Resolution{State: BackportReverted, Reason: "live holds Git's values again at the edited paths"},
	}, {
		name:    "a field the edit added, still live and not in Git: required",
		edit:    memEdit,
		desired: deploy("", withResources("web:1", "")),
		live:    deploy(managed("kubectl-edit", "Update", memLimit), withResources("web:1", "1Gi")),
		want: Resolution{State: BackportRequired, Open: []string{"spec.template.spec.containers[name=app].resources.limits.memory"},
			Reason: "live and Git still differ at the edited paths"},
	}, {
		name:    "other drift on the object does not decide",
		edit:    memEdit,
		desired: deploy("", withResources("web:1", "1Gi")),
		live:    deploy(managed("kubectl-set", "Update", appImage), withResources("web:3", "1Gi")),
		want:    Resolution{State: BackportDone, Reason: "Git holds the values the edit wrote"},
	}, {
		name: "deleted live, Git still wants it: required",
		edit: Edit{Operation: "DELETE"}, desired: deploy("", container),
		want: Resolution{State: BackportRequired, Reason: "the object is deleted live but Git still defines it"},
	}, {
		name: "deleted live and removed from Git: backported",
		edit: Edit{Operation: "DELETE"},
		want: Resolution{State: BackportDone, Reason: "the object is gone and Git no longer defines it"},
	}, {
		name: "deleted, recreated by GitOps: reverted",
		edit: Edit{Operation: "DELETE"}, desired: deploy("", container), live: deploy(flux, container),
		want: Resolution{State: BackportReverted, Reason: "the deleted object is back as Git defines it"},
	}, {
		name: "created by the edit, gone and not in Git: reverted",
		edit: Edit{Operation: "CREATE"},
		want: Resolution{State: BackportReverted, Reason: "the object the edit created is gone and Git does not define it"},
	}, {
		name: "created by the edit, not in Git: required",
		edit: Edit{Operation: "CREATE"}, live: deploy(managed("kubectl-create", "Update", appImage), container),
		want: Resolution{State: BackportRequired, Reason: "the object is live but Git does not define it"},
	}, {
		name: "created by the edit, now in Git as it is live: backported",
		edit: Edit{Operation: "CREATE"}, desired: deploy("", container),
		live: deploy(managed("kubectl-create", "Update", appImage), container),
		want: Resolution{State: BackportDone, Reason: "Git defines the object as it is live"},
	}, {
		name: "updated object gone live and from Git: backported",
		edit: imageEdit,
		want: Resolution{State: BackportDone, Reason: "the object is gone and Git no longer defines it"},
	}}
	d := newTestDiffer(t, nil)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := d.Backport(tt.edit, optional(t, "desired", tt.desired), optional(t, "live", tt.live))
			if err != nil {
				t.Fatalf("Backport: %v", err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Backport (-want +got):\n%s", diff)
			}
		})
	}
}

func optional(t *testing.T, name, y string) *Object {
	if y == "" {
		return nil
	}
	o := parseOne(t, name, y)
	return &o
}
