package webhook

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	admissionv1 "k8s.io/api/admission/v1"
	authenticationv1 "k8s.io/api/authentication/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/utils/clock"

	"github.com/driftgate/driftgate/internal/config"
	"github.com/driftgate/driftgate/internal/fieldpath"
	"github.com/driftgate/driftgate/policies"
)

// Decider makes the admission decision for one request: it builds the policy input and asks the
// engine. Every failure on the way is a denial with its reason.
type Decider struct {
	Engine  *policies.Engine
	Grants  GrantLister
	Modes   ModeLookup
	Parents ParentLookup
	Markers Markers
	// Schemas know the built-in types, whose merge keys name list items in changed paths.
	Schemas *fieldpath.Schemas
	Clock   clock.PassiveClock
}

// Result is a decision with what it was made on.
type Result struct {
	policies.Decision
	Input *policies.Input
	// Changes are the changed paths of an update with their old and new values.
	Changes []fieldpath.Change
	// Failed marks a refusal because driftgate could not decide (evaluation error, deadline,
	// unreadable request) or could not keep the record the write needed.
	Failed bool
}

// Decide decides req.
func (d *Decider) Decide(ctx context.Context, req *Request) Result {
	in, changes, err := d.input(ctx, req)
	if err != nil {
		return Result{Decision: policies.Deny("driftgate: " + err.Error() + "; denied"), Input: in, Failed: true}
	}
	dec, err := d.Engine.Evaluate(ctx, in)
	if err != nil {
		return Result{Decision: policies.Deny("driftgate: " + err.Error() + "; denied"), Input: in, Failed: true}
	}
	return Result{Decision: dec, Input: in, Changes: changes}
}

func (d *Decider) input(ctx context.Context, req *Request) (*policies.Input, []fieldpath.Change, error) {
	now := d.Clock.Now().UTC()
	in := &policies.Input{
		Operation:   string(req.Operation),
		User:        req.UserInfo.Username,
		Groups:      req.UserInfo.Groups,
		Credential:  CredentialOf(req.UserInfo),
		Resource:    ResourceName(req.Resource.Group, req.Resource.Resource),
		Subresource: req.SubResource,
		Kind:        req.Kind.Kind,
		Namespace:   req.Namespace,
		Name:        req.Name,
		DryRun:      req.DryRun != nil && *req.DryRun,
		Time:        now,
	}
	oldObj, newObj := newObject(req.OldObject), newObject(req.Object)
	if in.Name == "" { // a deletecollection is decided per object, without the object's name
		in.Name = nameOf(newObj, oldObj)
	}
	if isNamespace(req) {
		// A Namespace is cluster-scoped: the request's namespace is its own name, which no
		// grant's namespaced scope may stand for.
		in.Namespace = ""
	}
	var changes []fieldpath.Change
	if req.SubResource == "scale" {
		changes = d.scale(ctx, req, in, oldObj, newObj)
	} else { // the object itself, or its status, which carries its metadata
		var err error
		if changes, err = d.object(req, in, oldObj, newObj); err != nil {
			return in, nil, err
		}
	}
	mode, err := d.Modes.ModeFor(ctx, req.Namespace)
	if err != nil {
		return in, nil, err
	}
	in.Mode = string(mode)
	in.Grants, err = d.coveringGrants(ctx, in, now)
	return in, changes, err
}

// object fills ownership, guarded and changed paths for a write to a whole object.
func (d *Decider) object(req *Request, in *policies.Input, oldObj, newObj *object) ([]fieldpath.Change, error) {
	if oldObj == nil && newObj == nil {
		return nil, fmt.Errorf("request for %s %s has neither object nor oldObject", req.Operation, in.Resource)
	}
	in.Ownership = d.Markers.Ownership(metaPtr(newObj), metaPtr(oldObj))
	in.GuardedChanges = d.Markers.GuardedChanges(metaPtr(oldObj), metaPtr(newObj), isNamespace(req))
	if req.Operation != admissionv1.Update || oldObj == nil || newObj == nil {
		return nil, nil
	}
	gvk := schema.GroupVersionKind{Group: req.Kind.Group, Version: req.Kind.Version, Kind: req.Kind.Kind}
	changes := fieldpath.Diff(oldObj.content, newObj.content, d.Schemas.For(gvk), bookkeeping)
	in.ChangedPaths = paths(changes)
	return changes, nil
}

// scale decides a /scale write on its parent object: the Scale object carries no labels.
func (d *Decider) scale(ctx context.Context, req *Request, in *policies.Input, oldObj, newObj *object) []fieldpath.Change {
	gvr := schema.GroupVersionResource{Group: req.Resource.Group, Version: req.Resource.Version, Resource: req.Resource.Resource}
	parent, err := d.Parents.Parent(ctx, gvr, req.Namespace, req.Name)
	switch {
	case err != nil:
		// Fail closed for people, open for the always-allowed writers (the HPA scaling a custom
		// resource driftgate may not read): treat the parent as owned by someone unknown.
		in.Ownership = policies.Ownership{Owned: true, Owner: fmt.Sprintf("an owner driftgate cannot tell (%s)", err)}
	default:
		if parent.Kind != "" {
			in.Kind = parent.Kind
		}
		in.Ownership = d.Markers.Ownership(metaFrom(parent.Labels, parent.Annotations))
	}
	if oldObj == nil || newObj == nil {
		return nil
	}
	// Only the spec of a Scale maps onto the parent (spec.replicas).
	changes := fieldpath.Diff(specOnly(oldObj.content), specOnly(newObj.content), nil, nil)
	in.ChangedPaths = paths(changes)
	return changes
}

func (d *Decider) coveringGrants(ctx context.Context, in *policies.Input, now time.Time) ([]policies.Grant, error) {
	if in.Namespace == "" {
		return nil, nil // grants cover namespaces only
	}
	grants, err := d.Grants.GrantsFor(ctx, in.User)
	if err != nil {
		return nil, err
	}
	var out []policies.Grant
	for i := range grants {
		g := &grants[i]
		if !g.Covers(in.User, in.Namespace, in.Resource, now) {
			continue
		}
		out = append(out, policies.Grant{
			Name:      g.Name,
			Ticket:    g.Spec.Ticket,
			Phase:     string(g.Status.Phase),
			ExpiresAt: g.Status.ExpiresAt.Time,
		})
	}
	// The policy names the first covering grant; make that choice independent of cache order.
	slices.SortFunc(out, func(a, b policies.Grant) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// CredentialOf is the kind of credential the API server authenticated a request with, from
// userInfo.extra's credential id: "JTI" for a service-account token, "X509SHA256" for a client
// certificate; empty without one (impersonation cannot set it).
func CredentialOf(u authenticationv1.UserInfo) string {
	ids := u.Extra[config.CredentialIDKey]
	if len(ids) == 0 || ids[0] == "" {
		return ""
	}
	kind, _, _ := strings.Cut(ids[0], "=")
	return kind
}

// ResourceName is the grant scope's notation of a resource: "deployments.apps", "configmaps".
func ResourceName(group, resource string) string {
	if group == "" {
		return resource
	}
	return resource + "." + group
}

func isNamespace(req *Request) bool {
	return req.Resource.Group == "" && req.Resource.Resource == "namespaces"
}

// nameOf is metadata.name of the first object given that has one.
func nameOf(objs ...*object) string {
	for _, o := range objs {
		if o == nil {
			continue
		}
		md, _ := o.content["metadata"].(map[string]any)
		if name, _ := md["name"].(string); name != "" {
			return name
		}
	}
	return ""
}

func metaPtr(o *object) *meta {
	if o == nil {
		return nil
	}
	return o.meta
}

func specOnly(content map[string]any) map[string]any {
	return map[string]any{"spec": content["spec"]}
}

func paths(changes []fieldpath.Change) []string {
	out := make([]string, len(changes))
	for i, c := range changes {
		out[i] = c.Path
	}
	return out
}
