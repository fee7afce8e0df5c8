package backport

import (
	"fmt"
	"net/url"
	"strings"
)

// Forges whose pull-request (merge-request) page a backport links to.
const (
	GitHub    = "github"
	GitLab    = "gitlab"
	Gitea     = "gitea" // Gitea and Forgejo (Codeberg)
	Bitbucket = "bitbucket"
)

// ForgeOf guesses the forge from a remote URL's host: github.com, gitlab.*, gitea.*,
// forgejo.*, codeberg.org, bitbucket.*; "" when the host says nothing.
func ForgeOf(remote string) string {
	host, _, ok := hostPath(remote)
	if !ok {
		return ""
	}
	host = strings.ToLower(host)
	switch {
	case host == "github.com" || strings.Contains(host, "github"):
		return GitHub
	case strings.Contains(host, "gitlab"):
		return GitLab
	case strings.Contains(host, "gitea") || strings.Contains(host, "forgejo") || host == "codeberg.org":
		return Gitea
	case strings.Contains(host, "bitbucket"):
		return Bitbucket
	}
	return ""
}

// PullRequestURL is the web page that opens a pull (merge) request from branch into base on
// forge for the repository at remote; "" when the forge is unknown or the URL has no
// repository path. No API is called: the page is the forge's own "new pull request" form.
func PullRequestURL(forge, remote, branch, base string) string {
	host, repoPath, ok := hostPath(remote)
	if !ok || repoPath == "" {
		return ""
	}
	web := "https://" + host + "/" + repoPath
	q := url.QueryEscape
	switch forge {
	case GitHub:
		return fmt.Sprintf("%s/compare/%s...%s?expand=1", web, pathEscape(base), pathEscape(branch))
	case GitLab:
		return fmt.Sprintf("%s/-/merge_requests/new?merge_request%%5Bsource_branch%%5D=%s&merge_request%%5Btarget_branch%%5D=%s", web, q(branch), q(base))
	case Gitea:
		return fmt.Sprintf("%s/compare/%s...%s", web, pathEscape(base), pathEscape(branch))
	case Bitbucket:
		if host == "bitbucket.org" {
			return fmt.Sprintf("%s/pull-requests/new?source=%s&dest=%s", web, q(branch), q(base))
		}
		// Bitbucket Data Center: https://host/scm/PROJECT/repo.git.
		parts := strings.Split(strings.TrimPrefix(repoPath, "scm/"), "/")
		if len(parts) != 2 {
			return ""
		}
		return fmt.Sprintf("https://%s/projects/%s/repos/%s/pull-requests?create&sourceBranch=%s&targetBranch=%s",
			host, parts[0], parts[1], q("refs/heads/"+branch), q("refs/heads/"+base))
	}
	return ""
}

func pathEscape(branch string) string {
	parts := strings.Split(branch, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

// hostPath splits a Git remote (https://host/org/repo.git, ssh://git@host:22/org/repo.git,
// git@host:org/repo.git) into its web host and repository path without ".git".
func hostPath(remote string) (host, repoPath string, ok bool) {
	if strings.Contains(remote, "://") {
		u, err := url.Parse(remote)
		if err != nil || u.Host == "" || u.Scheme == "file" {
			return "", "", false
		}
		host, repoPath = u.Hostname(), u.Path
		if u.Scheme == "http" || u.Scheme == "https" {
			host = u.Host
		}
	} else {
		userHost, p, found := strings.Cut(remote, ":")
		if !found || strings.Contains(userHost, "/") {
			return "", "", false
		}
		_, host, _ = strings.Cut(userHost, "@")
		if host == "" {
			host = userHost
		}
		repoPath = p
	}
	repoPath = strings.TrimSuffix(strings.Trim(repoPath, "/"), ".git")
	return host, repoPath, host != ""
}
