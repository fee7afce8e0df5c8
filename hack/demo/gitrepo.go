package main

import (
	"github.com/go-git/go-git/v5/plumbing"

	"github.com/driftgate/driftgate/internal/gitwork"
)

// branch is the demo repository's branch.
const branch = gitwork.Branch

// revisionLength is how many hex digits of a commit driftgate shows (status.revision).
const revisionLength = 12

// remoteName is the name of the clone's remote, the cluster's Git server (as the narration
// shows it).
const remoteName = "origin"

// short is a commit's revision as driftgate shows it.
func short(h plumbing.Hash) string { return h.String()[:revisionLength] }
