package source

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpecHelpers(t *testing.T) {
	tests := []struct {
		url    string
		remote bool
		name   string
	}{
		{url: "https://user:pw-secret@github.com/org/apps.git", remote: true, name: "apps"},
		{url: "https://user:pw-secret@git.example.com", remote: true, name: "repo"},
		{url: "git@github.com:org/infra.git", remote: true, name: "infra"},
		{url: "ssh://git@host:2222/org/infra/", remote: true, name: "infra"},
		{url: "file:///srv/git/my repo.git", remote: true, name: "myrepo"},
		{url: "./deploy", remote: false},
		{url: "/srv/deploy:v1", remote: false},
		{url: "deploy", remote: false},
	}
	for _, tt := range tests {
		if got := isRemote(tt.url); got != tt.remote {
			t.Errorf("isRemote(%q) = %v, want %v", tt.url, got, tt.remote)
		}
		if !tt.remote {
			continue
		}
		if got := repoName(tt.url); got != tt.name {
			t.Errorf("repoName(%q) = %q, want %q", tt.url, got, tt.name)
		}
	}
}

func TestCleanPath(t *testing.T) {
	var got []string
	for _, p := range []string{"", ".", "./apps/", "apps/../base", "apps/prod", "..", "../apps", "apps/../../x", "/abs"} {
		c, err := cleanPath(p)
		if err != nil {
			c = "error"
		}
		got = append(got, c)
	}
	want := []string{".", ".", "apps", "base", "apps/prod", "error", "error", "error", "error"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("cleanPath (-want +got):\n%s", diff)
	}
}
