package report

import (
	"encoding/json"
	"strings"
	"testing"
)

// TestHints: what the open items tell people to do, per kind of write.
func TestHints(t *testing.T) {
	deploy := Object{APIVersion: "apps/v1", Kind: "Deployment", Resource: "deployments.apps", Namespace: "prod", Name: "checkout"}
	scale := deploy
	scale.Subresource = "scale"
	const tail = " (a person's write needs an active grant; a GitOps sync of the object does the same)"
	tests := []struct {
		name             string
		edit             Edit
		backport, revert string
	}{
		{"scale", Edit{Operation: "UPDATE", Object: scale, Changes: []Change{{Path: "spec.replicas", Old: json.RawMessage("2"), New: json.RawMessage("5")}},
			Backport: Backport{File: "apps/checkout.yaml"}},
			"open a PR changing spec.replicas in apps/checkout.yaml",
			"revert it live: kubectl -n prod scale deployments.apps/checkout --replicas=2" + tail},
		{"update, file unknown, long old value", Edit{Operation: "UPDATE", Object: deploy,
			Changes: []Change{{Path: "spec.template.metadata.annotations.note", Old: json.RawMessage(`"` + strings.Repeat("x", 70) + `"`), New: json.RawMessage(`"x"`)}}},
			"open a PR changing spec.template.metadata.annotations.note in the file that defines Deployment prod/checkout",
			"revert it live: kubectl -n prod edit deployments.apps/checkout and set spec.template.metadata.annotations.note back to its value in Git" + tail},
		{"create", Edit{Operation: "CREATE", Object: deploy, Backport: Backport{GitSource: "apps"}},
			"open a PR adding Deployment prod/checkout to Git (GitSource apps)",
			"revert it live: kubectl -n prod delete deployments.apps/checkout" + tail},
		{"delete", Edit{Operation: "DELETE", Object: deploy, Backport: Backport{File: "apps/checkout.yaml"}},
			"open a PR removing Deployment prod/checkout from apps/checkout.yaml",
			"revert it live: have the GitOps tool sync the object back from Git, or kubectl -n prod apply -f apps/checkout.yaml from a checkout of the GitSource" + tail},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			it := openItem(tt.edit)
			if it.Backport != tt.backport {
				t.Errorf("backport hint\n got %q\nwant %q", it.Backport, tt.backport)
			}
			if it.Revert != tt.revert {
				t.Errorf("revert hint\n got %q\nwant %q", it.Revert, tt.revert)
			}
		})
	}
}

// TestSecretMasking: Secret values under data, stringData and the last-applied annotation read
// "(sensitive)" whatever the record holds; other kinds are shown as recorded.
func TestSecretMasking(t *testing.T) {
	tests := []struct {
		kind, path, want string
	}{
		{"Secret", "data.password", `"(sensitive)"`},
		{"Secret", `stringData["db.url"]`, `"(sensitive)"`},
		{"Secret", `metadata.annotations["kubectl.kubernetes.io/last-applied-configuration"]`, `"(sensitive)"`},
		{"Secret", "metadata.annotations", `"(sensitive)"`},
		{"Secret", `metadata.labels["team"]`, `"value"`},
		{"ConfigMap", "data.password", `"value"`},
	}
	for _, tt := range tests {
		t.Run(tt.kind+" "+tt.path, func(t *testing.T) {
			e := edit(t, "e", "", "INC-1", "2026-11-21T10:00:00Z", tt.kind, "x", change{tt.path, "value", nil})
			got := changesOf(&e)[0]
			if string(got.Old) != tt.want || string(got.New) != "null" {
				t.Errorf("old, new = %s, %s; want %s, null", got.Old, got.New, tt.want)
			}
		})
	}
}
