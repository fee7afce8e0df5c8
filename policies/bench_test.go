package policies_test

import (
	"context"
	"testing"
	"time"

	"github.com/driftgate/driftgate/internal/testutil"
	"github.com/driftgate/driftgate/policies"
)

// BenchmarkEvaluate measures the Rego decision alone (input already built) on each path a write
// can take, reporting the median of single evaluations as p50-ns.
func BenchmarkEvaluate(b *testing.B) {
	paths := map[string]func(*policies.Input){
		"gitops-controller": func(in *policies.Input) {
			in.User, in.Credential = "system:serviceaccount:argocd:argocd-application-controller", "JTI"
		},
		"unowned-object": func(in *policies.Input) { in.Ownership = policies.Ownership{} },
		"person-denied":  func(*policies.Input) {},
		"break-glass":    func(in *policies.Input) { in.Grants = []policies.Grant{activeGrant} },
	}
	e := newEngine(b, nil, time.Second)
	for _, name := range []string{"gitops-controller", "unowned-object", "person-denied", "break-glass"} {
		b.Run(name, func(b *testing.B) {
			in := personInput()
			in.ChangedPaths = []string{"spec.template.spec.containers[name=app].image"}
			paths[name](in)
			ctx := context.Background()
			testutil.BenchP50(b, func() {
				if _, err := e.Evaluate(ctx, in); err != nil {
					b.Fatal(err)
				}
			})
		})
	}
}
