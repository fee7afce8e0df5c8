package policies

import (
	"github.com/driftgate/driftgate/internal/config"
)

// Data is the document the policy reads at data.driftgate.config, derived from driftgate.yaml.
// Name lists become objects keyed by name so the policy looks them up in constant time.
func Data(cfg *config.Config) map[string]any {
	return map[string]any{
		"driftgate": map[string]any{
			"config": map[string]any{
				"gitopsIdentities": set(cfg.GitOpsIdentities()),
				"selfIdentity":     cfg.SelfIdentity(),
				"systemIdentities": set(cfg.Identities.System),
				"systemPrefixes":   list(cfg.Identities.SystemPrefixes),
				"systemGroups":     set(cfg.Identities.SystemGroups),
				// Names accepted without a credential id (input.user.credential empty).
				"withoutCredential": set(cfg.IdentitiesWithoutCredential()),
			},
		},
	}
}

func set(names []string) map[string]any {
	m := make(map[string]any, len(names))
	for _, n := range names {
		m[n] = true
	}
	return m
}

func list(names []string) []any {
	out := make([]any, len(names))
	for i, n := range names {
		out[i] = n
	}
	return out
}
