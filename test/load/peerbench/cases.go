package main

import (
	"embed"
	"encoding/json"
	"fmt"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/test/loadgen"
)

// The Gatekeeper side of the comparison, kept here as benchmark data (not in the chart).
const (
	templateFile   = "gatekeeper-template.yaml"
	constraintFile = "gatekeeper-constraint.yaml"
)

//go:embed gatekeeper-template.yaml gatekeeper-constraint.yaml
var gatekeeperFiles embed.FS

// fluxIdentity is Flux's kustomize-controller: a GitOps identity in driftgate's defaults and in
// the constraint's gitopsIdentities. The load tool's review of it carries its token's credential
// id, as the API server sends it.
const fluxIdentity = "system:serviceaccount:flux-system:kustomize-controller"

// traffic is what every server is sent, the three in turn: a person with a grant (a break-glass
// write, allowed), a person without one (denied) and Flux's identity (allowed). Each is the
// load tool's UPDATE of a ~14 KB Argo CD-owned Deployment.
func traffic() []loadgen.Request {
	return []loadgen.Request{
		{Name: "alice, with a grant", Body: loadgen.UpdateReview(loadgen.UIDMark, "alice"), Allowed: true},
		{Name: "mallory, without a grant", Body: loadgen.UpdateReview(loadgen.UIDMark, "mallory"), Allowed: false},
		{Name: "Flux's kustomize-controller", Body: loadgen.UpdateReview(loadgen.UIDMark, fluxIdentity), Allowed: true},
	}
}

// decisionChecks are the reviews driftgate and Gatekeeper must both decide as expected before
// anything is measured: the traffic, and alice removing the object's ownership marker (denied,
// grant or not).
func decisionChecks() []loadgen.Request {
	return append(traffic(), loadgen.Request{
		Name: "alice strips the marker", Body: loadgen.MarkerStripReview(loadgen.UIDMark, "alice"), Allowed: false})
}

// template is the ConstraintTemplate.
func template() (*unstructured.Unstructured, error) { return readObject(templateFile) }

// constraint is the constraint, its parameters.grants filled in from grants: each Active one with
// an expiry, keyed by its requester.
func constraint(grants []v1alpha1.BreakGlassGrant) (*unstructured.Unstructured, error) {
	u, err := readObject(constraintFile)
	if err != nil {
		return nil, err
	}
	type grant struct {
		Name       string   `json:"name"`
		Ticket     string   `json:"ticket"`
		Namespaces []string `json:"namespaces"`
		Resources  []string `json:"resources"`
		ExpiresAt  string   `json:"expiresAt"`
	}
	byUser := map[string][]grant{}
	for _, g := range grants {
		if g.Status.Phase != v1alpha1.GrantActive || g.Status.ExpiresAt == nil {
			continue
		}
		byUser[g.Spec.Requester] = append(byUser[g.Spec.Requester], grant{Name: g.Name, Ticket: g.Spec.Ticket,
			Namespaces: g.Spec.Scope.Namespaces, Resources: g.Spec.Scope.Resources,
			ExpiresAt: g.Status.ExpiresAt.UTC().Format(time.RFC3339)})
	}
	// Through JSON, so that the parameters are of the types an unstructured object holds.
	raw, err := json.Marshal(byUser)
	if err != nil {
		return nil, err
	}
	var param map[string]any
	if err := json.Unmarshal(raw, &param); err != nil {
		return nil, err
	}
	if err := unstructured.SetNestedField(u.Object, param, "spec", "parameters", "grants"); err != nil {
		return nil, fmt.Errorf("%s: %w", constraintFile, err)
	}
	return u, nil
}

// regoOf is the Rego source of the template's first target.
func regoOf(t *unstructured.Unstructured) (string, error) {
	targets, _, err := unstructured.NestedSlice(t.Object, "spec", "targets")
	if err != nil || len(targets) == 0 {
		return "", fmt.Errorf("%s: no spec.targets", templateFile)
	}
	target, _ := targets[0].(map[string]any)
	code, _, err := unstructured.NestedSlice(target, "code")
	if err != nil || len(code) == 0 {
		return "", fmt.Errorf("%s: no code in the first target", templateFile)
	}
	first, _ := code[0].(map[string]any)
	src, found, err := unstructured.NestedString(first, "source", "rego")
	if err != nil || !found {
		return "", fmt.Errorf("%s: no source.rego in the first code entry", templateFile)
	}
	return src, nil
}

func readObject(name string) (*unstructured.Unstructured, error) {
	raw, err := gatekeeperFiles.ReadFile(name)
	if err != nil {
		return nil, err
	}
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal(raw, &u.Object); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return u, nil
}
