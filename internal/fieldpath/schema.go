package fieldpath

import (
	"sync"
	"sync/atomic"

	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// Schema tells how lists are keyed below one point of an object.
type Schema interface {
	// Field returns the schema of the map key or struct field named key.
	Field(key string) Schema
	// List returns the merge key of the list at field key ("" when it has none) and the schema
	// of its items.
	List(key string) (mergeKey string, items Schema)
}

// Schemas hands out one schema per kind, for the built-in kinds from the Go types registered in
// a scheme (their patchMergeKey tags), for any other kind (custom resources) one that knows only
// metadata. It remembers at most kindLimit kinds and is safe for concurrent use.
type Schemas struct {
	scheme *runtime.Scheme
	custom Schema

	kinds  sync.Map // schema.GroupVersionKind → Schema; read on every admission request
	stored atomic.Int32
}

// kindLimit bounds the kinds a Schemas remembers: a cluster serves far fewer.
const kindLimit = 1024

// NewSchemas returns the schemas of the kinds scheme knows.
func NewSchemas(scheme *runtime.Scheme) *Schemas {
	meta := TypedSchema(scheme, schema.GroupVersionKind{Version: "v1", Kind: "ConfigMap"})
	return &Schemas{
		scheme: scheme,
		custom: customSchema{meta: FieldOf(meta, "metadata")},
	}
}

// For returns the schema of gvk; never nil.
func (s *Schemas) For(gvk schema.GroupVersionKind) Schema {
	if v, ok := s.kinds.Load(gvk); ok {
		return v.(Schema)
	}
	sch := TypedSchema(s.scheme, gvk)
	if sch == nil {
		sch = s.custom
	}
	if s.stored.Add(1) <= kindLimit {
		if v, loaded := s.kinds.LoadOrStore(gvk, sch); loaded {
			sch = v.(Schema)
		}
	} else {
		s.stored.Store(kindLimit) // cannot wrap around however many kinds miss
	}
	return sch
}

// ForAPIVersion returns the schema of kind in apiVersion; a malformed apiVersion gets the
// schema of a custom resource.
func (s *Schemas) ForAPIVersion(apiVersion, kind string) Schema {
	gv, err := schema.ParseGroupVersion(apiVersion)
	if err != nil {
		return s.custom
	}
	return s.For(gv.WithKind(kind))
}

// TypedSchema returns the schema of a built-in kind from the Go types registered in scheme
// (their patchMergeKey tags), or nil when the kind is unknown, e.g. a custom resource.
func TypedSchema(scheme *runtime.Scheme, gvk schema.GroupVersionKind) Schema {
	obj, err := scheme.New(gvk)
	if err != nil {
		return nil
	}
	meta, err := strategicpatch.NewPatchMetaFromStruct(obj)
	if err != nil {
		return nil
	}
	return memoize(typed{meta})
}

// typed answers from the Go type's struct tags, by reflection on every lookup (see memo).
type typed struct {
	meta strategicpatch.LookupPatchMeta
}

func (t typed) Field(key string) Schema {
	sub, _, err := t.meta.LookupPatchMetadataForStruct(key)
	if err != nil || sub == nil {
		return nil
	}
	return typed{sub}
}

func (t typed) List(key string) (string, Schema) {
	sub, pm, err := t.meta.LookupPatchMetadataForSlice(key)
	if err != nil {
		return "", nil
	}
	var items Schema
	if sub != nil {
		items = typed{sub}
	}
	return pm.GetPatchMergeKey(), items
}

// customSchema is the schema of a kind the scheme does not know: typed metadata, nothing else.
type customSchema struct {
	meta Schema
}

func (c customSchema) Field(key string) Schema {
	if key == "metadata" {
		return c.meta
	}
	return nil
}

func (c customSchema) List(string) (string, Schema) { return "", nil }

// Typed reports whether s knows the fields of a Go type: false for nil and for what a custom
// resource's schema does not know (everything but metadata).
func Typed(s Schema) bool {
	_, custom := s.(customSchema)
	return s != nil && !custom
}

// FieldOf returns the schema of field key below s; nil when s is nil or does not know key.
func FieldOf(s Schema, key string) Schema {
	if s == nil {
		return nil
	}
	return s.Field(key)
}
