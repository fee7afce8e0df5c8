package fieldpath

import (
	"fmt"
	"testing"

	"k8s.io/apimachinery/pkg/runtime/schema"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
)

func TestSchemasAreBounded(t *testing.T) {
	s := NewSchemas(clientgoscheme.Scheme)
	for i := range 3 * kindLimit {
		s.For(schema.GroupVersionKind{Group: "x.io", Version: "v1", Kind: fmt.Sprintf("K%d", i)})
	}
	n := 0
	s.kinds.Range(func(any, any) bool { n++; return true })
	if n > kindLimit {
		t.Errorf("Schemas remember %d kinds, want at most %d", n, kindLimit)
	}
	dep := s.For(schema.GroupVersionKind{Group: "apps", Version: "v1", Kind: "Deployment"})
	if !Typed(dep) {
		t.Fatal("a built-in kind asked for once the memory is full has no typed schema")
	}
	if mergeKey, _ := FieldOf(FieldOf(FieldOf(dep, "spec"), "template"), "spec").List("containers"); mergeKey != "name" {
		t.Errorf("containers merge key = %q, want name", mergeKey)
	}
	custom := s.For(schema.GroupVersionKind{Group: "x.io", Version: "v1", Kind: "K1"})
	if Typed(custom) {
		t.Error("a custom resource's schema claims to know its fields")
	}
	if mergeKey, _ := FieldOf(custom, "metadata").List("ownerReferences"); mergeKey != "uid" {
		t.Errorf("a custom resource's ownerReferences merge key = %q, want uid (typed metadata)", mergeKey)
	}
}
