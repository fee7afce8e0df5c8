package admission_test

import (
	"testing"

	"github.com/driftgate/driftgate/test/testenv"
)

// actor is one identity's clients, with this package's helpers.
type actor struct{ *testenv.Actor }

// person acts as a user through impersonation by the admin.
func person(t *testing.T, user string) *actor { return &actor{cluster.Person(t, user)} }

// serviceAccount acts with the service account's own token.
func serviceAccount(t *testing.T, key string) *actor { return &actor{cluster.ServiceAccount(t, key)} }

func admin(t *testing.T) *actor { return &actor{cluster.AdminActor(t)} }

// namespace creates a fresh namespace for one test, labelled as given.
func namespace(t *testing.T, labels map[string]string) string { return cluster.Namespace(t, labels) }
