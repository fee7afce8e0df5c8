package live

import (
	"encoding/json"
	"fmt"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/tools/cache"

	"github.com/driftgate/driftgate/audit"
)

// stored is the form in which the Cache keeps one live object: the pruned object as compact JSON,
// plus the few metadata fields the informer machinery reads. It is what the informers'
// transform turns each *unstructured.Unstructured into, so no decoded map outlives an event.
type stored struct {
	// ObjectMeta holds only Name and Namespace (the informer's key func reads them) and
	// ResourceVersion (tells a real update from a resync or relist).
	metav1.ObjectMeta
	// content is the pruned object as compact JSON.
	content []byte
}

// GetObjectKind makes stored a runtime.Object, which some client-go debugging aids expect.
func (s *stored) GetObjectKind() schema.ObjectKind { return schema.EmptyObjectKind }

// DeepCopyObject makes stored a runtime.Object.
func (s *stored) DeepCopyObject() runtime.Object {
	return &stored{
		ObjectMeta: metav1.ObjectMeta{Name: s.Name, Namespace: s.Namespace, ResourceVersion: s.ResourceVersion},
		content:    append([]byte(nil), s.content...),
	}
}

// compact prunes u in place and encodes it.
func compact(u *unstructured.Unstructured) (*stored, error) {
	s := &stored{ObjectMeta: metav1.ObjectMeta{
		Name:            u.GetName(),
		Namespace:       u.GetNamespace(),
		ResourceVersion: u.GetResourceVersion(),
	}}
	prune(u.Object)
	b, err := json.Marshal(u.Object)
	if err != nil {
		return nil, fmt.Errorf("encoding live %s %s: %w", u.GetKind(), cache.NewObjectName(s.Namespace, s.Name), err)
	}
	s.content = b
	return s, nil
}

// transform is the informers' TransformFunc. It must be idempotent: a watch-list stream's
// objects go through it once into a temporary store and again when they replace the
// informer's store, so an object already stored is returned as it is.
func transform(obj any) (any, error) {
	switch o := obj.(type) {
	case *unstructured.Unstructured:
		return compact(o)
	case *stored:
		return o, nil
	case cache.DeletedFinalStateUnknown:
		inner, err := transform(o.Obj)
		if err != nil {
			return nil, err
		}
		return cache.DeletedFinalStateUnknown{Key: o.Key, Obj: inner}, nil
	default:
		return nil, fmt.Errorf("transforming a live object: unexpected type %T", obj)
	}
}

// object decodes the stored JSON into a fresh audit.Object.
func (s *stored) object(gr schema.GroupResource) (audit.Object, error) {
	var content map[string]any
	if err := json.Unmarshal(s.content, &content); err != nil {
		return audit.Object{}, fmt.Errorf("decoding live %s %s: %w", gr, cache.NewObjectName(s.Namespace, s.Name), err)
	}
	return audit.Object{Source: source(gr, s.Namespace, s.Name), Content: content}, nil
}

// source names a live object in the differ's messages, e.g. "cluster deployments.apps prod/web".
func source(gr schema.GroupResource, namespace, name string) string {
	return "cluster " + gr.String() + " " + cache.NewObjectName(namespace, name).String()
}

// liveObject prunes u in place and returns it as the audit sees it, by the same encoding as the
// Cache so that both give identical content.
func liveObject(u *unstructured.Unstructured, gr schema.GroupResource) (audit.Object, error) {
	s, err := compact(u)
	if err != nil {
		return audit.Object{}, err
	}
	return s.object(gr)
}
