package fieldpath

import (
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/apimachinery/pkg/util/strategicpatch"
)

// Schema tells the diff how lists are keyed below one point of an object.
type Schema interface {
	// Field returns the schema of the map key or struct field named key.
	Field(key string) Schema
	// List returns the merge key of the list at field key ("" when it has none) and the schema
	// of its items.
	List(key string) (mergeKey string, items Schema)
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

// SecondKey is the second list-map key of the built-in lists keyed by more than one field, added
// to an item's path when another item shares its merge key value (a Service port 53 for TCP and
// for UDP).
func SecondKey(mergeKey string) string {
	switch mergeKey {
	case "port", "containerPort":
		return "protocol"
	case "topologyKey":
		return "whenUnsatisfiable"
	default:
		return ""
	}
}
