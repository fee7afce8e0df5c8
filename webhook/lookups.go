package webhook

import (
	"context"
	"errors"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	apimeta "k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/metadata"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/driftgate/driftgate/api/v1alpha1"
	"github.com/driftgate/driftgate/internal/config"
)

// GrantLister returns the break-glass grants a user requested, whatever their phase.
type GrantLister interface {
	GrantsFor(ctx context.Context, user string) ([]v1alpha1.BreakGlassGrant, error)
}

// StaticGrants is a fixed set of grants by requester (offline evaluation, tests).
type StaticGrants map[string][]v1alpha1.BreakGlassGrant

// NewStaticGrants indexes grants by requester.
func NewStaticGrants(grants []v1alpha1.BreakGlassGrant) StaticGrants {
	s := StaticGrants{}
	for _, g := range grants {
		s[g.Spec.Requester] = append(s[g.Spec.Requester], g)
	}
	return s
}

// GrantsFor implements GrantLister.
func (s StaticGrants) GrantsFor(_ context.Context, user string) ([]v1alpha1.BreakGlassGrant, error) {
	return s[user], nil
}

// RequesterIndex is the cache field index of grants by spec.requester.
const RequesterIndex = "spec.requester"

// IndexGrantsByRequester registers RequesterIndex with a manager's cache.
func IndexGrantsByRequester(ctx context.Context, indexer client.FieldIndexer) error {
	return indexer.IndexField(ctx, &v1alpha1.BreakGlassGrant{}, RequesterIndex, func(o client.Object) []string {
		return []string{o.(*v1alpha1.BreakGlassGrant).Spec.Requester}
	})
}

// CachedGrants lists grants from an informer cache indexed by RequesterIndex.
type CachedGrants struct {
	Reader client.Reader
}

// GrantsFor implements GrantLister.
func (c CachedGrants) GrantsFor(ctx context.Context, user string) ([]v1alpha1.BreakGlassGrant, error) {
	var list v1alpha1.BreakGlassGrantList
	if err := c.Reader.List(ctx, &list, client.MatchingFields{RequesterIndex: user}); err != nil {
		return nil, fmt.Errorf("listing break-glass grants: %w", err)
	}
	return list.Items, nil
}

// ModeLookup returns the admission mode of a namespace.
type ModeLookup interface {
	ModeFor(ctx context.Context, namespace string) (config.Mode, error)
}

// FixedMode is the same mode everywhere (offline evaluation).
type FixedMode config.Mode

// ModeFor implements ModeLookup.
func (f FixedMode) ModeFor(context.Context, string) (config.Mode, error) { return config.Mode(f), nil }

// NamespaceModes reads the driftgate.io/mode label of namespaces from a (metadata) cache.
type NamespaceModes struct {
	Reader  client.Reader
	Default config.Mode
}

// ModeFor implements ModeLookup. Cluster-scoped objects and namespaces without the label get the
// default; a label with an unknown value gets enforce, so a typo never opens the gate.
func (n NamespaceModes) ModeFor(ctx context.Context, namespace string) (config.Mode, error) {
	if namespace == "" {
		return n.Default, nil
	}
	ns := &metav1.PartialObjectMetadata{}
	ns.SetGroupVersionKind(schema.GroupVersionKind{Version: "v1", Kind: "Namespace"})
	if err := n.Reader.Get(ctx, client.ObjectKey{Name: namespace}, ns); err != nil {
		if apierrors.IsNotFound(err) {
			return n.Default, nil
		}
		return "", fmt.Errorf("reading namespace %s: %w", namespace, err)
	}
	v, ok := ns.Labels[config.ModeLabel]
	switch {
	case !ok:
		return n.Default, nil
	case config.Mode(v).Valid():
		return config.Mode(v), nil
	default:
		return config.ModeEnforce, nil
	}
}

// ParentLookup returns the metadata of the object a subresource request (/scale) writes to.
type ParentLookup interface {
	Parent(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (*metav1.PartialObjectMetadata, error)
}

// MetadataParents reads parents through the API server's metadata endpoint.
type MetadataParents struct {
	Client metadata.Interface
	// Mapper names the parent's kind, which the metadata endpoint does not return.
	Mapper apimeta.RESTMapper
}

// Parent implements ParentLookup.
func (m MetadataParents) Parent(ctx context.Context, gvr schema.GroupVersionResource, namespace, name string) (*metav1.PartialObjectMetadata, error) {
	obj, err := m.Client.Resource(gvr).Namespace(namespace).Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		return nil, fmt.Errorf("reading %s %s/%s: %w", gvr.Resource, namespace, name, err)
	}
	gvk, err := m.Mapper.KindFor(gvr)
	if err != nil {
		return nil, fmt.Errorf("kind of %s: %w", gvr.Resource, err)
	}
	obj.SetGroupVersionKind(gvk)
	return obj, nil
}

// StaticParents holds parent objects by ParentKey (offline evaluation).
type StaticParents map[string]*metav1.PartialObjectMetadata

// ParentKey is the StaticParents key of the parent a subresource request writes to.
func ParentKey(resource, namespace, name string) string {
	return resource + "/" + namespace + "/" + name
}

// Parent implements ParentLookup.
func (s StaticParents) Parent(_ context.Context, gvr schema.GroupVersionResource, namespace, name string) (*metav1.PartialObjectMetadata, error) {
	if p, ok := s[ParentKey(gvr.Resource, namespace, name)]; ok {
		return p, nil
	}
	return nil, errors.New("offline: the parent object was not given")
}
