package webhook

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	admissionv1 "k8s.io/api/admission/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/policies"
)

// Fixture is one decision fixture: a request, the world around it, and the expected answer.
type Fixture struct {
	Description string                      `json:"description"`
	Review      admissionv1.AdmissionReview `json:"review"`
	Grants      []v1alpha1.BreakGlassGrant  `json:"grants,omitempty"`
	Mode        config.Mode                 `json:"mode,omitempty"`
	Now         metav1.Time                 `json:"now"`
	// Parent is the object a /scale request writes to.
	Parent *metav1.PartialObjectMetadata `json:"parent,omitempty"`
	Want   FixtureWant                   `json:"want"`
}

// FixtureWant is the expected decision; Reason and Warnings list fragments that must appear.
type FixtureWant struct {
	Allowed  bool     `json:"allowed"`
	Reason   []string `json:"reason,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
	Grant    string   `json:"grant,omitempty"`
	Record   bool     `json:"record,omitempty"`
}

// FixtureResult is the outcome of one fixture.
type FixtureResult struct {
	Name    string
	Problem string // empty when it passed
}

// RunFixtures runs every *.yaml fixture in dir of fsys against engine.
func RunFixtures(ctx context.Context, fsys fs.FS, dir string, engine *policies.Engine, cfg *config.Config, scheme *runtime.Scheme) ([]FixtureResult, error) {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(names)
	var out []FixtureResult
	for _, name := range names {
		raw, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		var f Fixture
		if err := yaml.UnmarshalStrict(raw, &f); err != nil {
			return nil, fmt.Errorf("fixture %s: %s", name, strings.Join(strings.Fields(err.Error()), " "))
		}
		out = append(out, FixtureResult{Name: name, Problem: f.run(ctx, engine, cfg, scheme)})
	}
	return out, nil
}

func (f *Fixture) run(ctx context.Context, engine *policies.Engine, cfg *config.Config, scheme *runtime.Scheme) string {
	if f.Review.Request == nil {
		return "review has no request"
	}
	mode := f.Mode
	if mode == "" {
		mode = cfg.Mode
	}
	parents := StaticParents{}
	if p := f.Parent; p != nil {
		parents[ParentKey(f.Review.Request.Resource.Resource, p.Namespace, p.Name)] = p
	}
	req, err := RequestFrom(f.Review.Request)
	if err != nil {
		return err.Error()
	}
	got := Offline(engine, cfg, scheme, f.Grants, mode, parents, f.Now.Time).Decide(ctx, req)
	var problems []string
	if got.Allowed != f.Want.Allowed {
		problems = append(problems, fmt.Sprintf("allowed = %v, want %v (reason: %s)", got.Allowed, f.Want.Allowed, got.Reason))
	}
	for _, frag := range f.Want.Reason {
		if !strings.Contains(got.Reason, frag) {
			problems = append(problems, fmt.Sprintf("reason %q does not contain %q", got.Reason, frag))
		}
	}
	all := strings.Join(got.Warnings, "\n")
	for _, frag := range f.Want.Warnings {
		if !strings.Contains(all, frag) {
			problems = append(problems, fmt.Sprintf("warnings %q do not contain %q", all, frag))
		}
	}
	if got.Grant != f.Want.Grant {
		problems = append(problems, fmt.Sprintf("grant = %q, want %q", got.Grant, f.Want.Grant))
	}
	if got.Record != f.Want.Record {
		problems = append(problems, fmt.Sprintf("record = %v, want %v", got.Record, f.Want.Record))
	}
	return strings.Join(problems, "; ")
}
