package server

import (
	"context"
	"fmt"
	"path/filepath"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
)

// NewEngine compiles the shipped policy plus the files in dir, if any: the policy the webhook
// decides with, and `driftgate policy eval` offline.
func NewEngine(ctx context.Context, cfg *config.Config, dir string) (*policies.Engine, error) {
	extra := policies.Modules{}
	if dir != "" {
		var err error
		if extra, err = policies.ReadDir(dir, false); err != nil {
			return nil, fmt.Errorf("reading policies from %s: %w", filepath.Clean(dir), err)
		}
	}
	engine, err := policies.NewEngine(ctx, policies.Data(cfg), cfg.EvaluationTimeout(), extra)
	if err != nil {
		return nil, fmt.Errorf("loading policies: %w", err)
	}
	return engine, nil
}
