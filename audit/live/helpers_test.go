package live

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"k8s.io/client-go/dynamic"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/audit"
)

// parseObjects parses Git-like manifests.
func parseObjects(t *testing.T, y string) []audit.Object {
	t.Helper()
	objs, err := audit.Parse("git", []byte(y))
	if err != nil {
		t.Fatalf("parsing manifests: %v", err)
	}
	return objs
}

// resourceOf returns the dynamic client of the object's kind, in its namespace if it has one.
func (c clients) resourceOf(t *testing.T, u *unstructured.Unstructured) dynamic.ResourceInterface {
	t.Helper()
	gvk := u.GroupVersionKind()
	m, err := c.reader.Mapper.RESTMapping(gvk.GroupKind(), gvk.Version)
	if err != nil {
		t.Fatalf("mapping %s: %v", gvk, err)
	}
	if u.GetNamespace() == "" {
		return c.dynamic.Resource(m.Resource)
	}
	return c.dynamic.Resource(m.Resource).Namespace(u.GetNamespace())
}

// apply server-side applies a YAML object as manager, the way a GitOps controller does.
func (c clients) apply(t *testing.T, manager, y string) {
	t.Helper()
	u := &unstructured.Unstructured{}
	if err := yaml.Unmarshal([]byte(y), &u.Object); err != nil {
		t.Fatalf("parsing %s: %v", y, err)
	}
	_, err := c.resourceOf(t, u).Apply(context.Background(), u.GetName(), u, metav1.ApplyOptions{FieldManager: manager, Force: true})
	if err != nil {
		t.Fatalf("applying %s/%s as %s: %v", u.GetKind(), u.GetName(), manager, err)
	}
}

// edit gets an object, changes it and updates it as manager, the way `kubectl edit` does.
func (c clients) edit(t *testing.T, manager string, gvr schema.GroupVersionResource, namespace, name string, change func(*unstructured.Unstructured)) {
	t.Helper()
	ctx := context.Background()
	r := c.dynamic.Resource(gvr).Namespace(namespace)
	u, err := r.Get(ctx, name, metav1.GetOptions{})
	if err != nil {
		t.Fatalf("getting %s %s/%s: %v", gvr.Resource, namespace, name, err)
	}
	change(u)
	if _, err := r.Update(ctx, u, metav1.UpdateOptions{FieldManager: manager}); err != nil {
		t.Fatalf("updating %s %s/%s as %s: %v", gvr.Resource, namespace, name, manager, err)
	}
}

// describe lists objects as "Kind namespace/name", sorted.
func describe(objs []audit.Object) []string {
	out := make([]string, 0, len(objs))
	for _, o := range objs {
		out = append(out, fmt.Sprintf("%s %s/%s", o.Kind(), o.Namespace(), o.Name()))
	}
	slices.Sort(out)
	return out
}

// inNamespaceOrNamed keeps the objects of a namespace and the cluster-scoped ones with a name
// starting with it: what one test created, among the objects other tests left behind.
func inNamespaceOrNamed(objs []audit.Object, ns string) []audit.Object {
	return slices.DeleteFunc(slices.Clone(objs), func(o audit.Object) bool {
		return o.Namespace() != ns && !(o.Namespace() == "" && strings.HasPrefix(o.Name(), ns))
	})
}

// bookkeeping lists the pruned fields an object still has.
func bookkeeping(o audit.Object) []string {
	var found []string
	if _, ok := o.Content["status"]; ok {
		found = append(found, "status")
	}
	md, _ := o.Content["metadata"].(map[string]any)
	for _, k := range []string{"resourceVersion", "generation", "creationTimestamp", "selfLink", "ownerReferences"} {
		if _, ok := md[k]; ok {
			found = append(found, "metadata."+k)
		}
	}
	return found
}

// managers lists the managedFields entries of an object as "manager operation [subresource]".
func managers(o audit.Object) []string {
	md, _ := o.Content["metadata"].(map[string]any)
	entries, _ := md["managedFields"].([]any)
	var out []string
	for _, e := range entries {
		m, _ := e.(map[string]any)
		s := fmt.Sprintf("%v %v", m["manager"], m["operation"])
		if sub, ok := m["subresource"]; ok {
			s += fmt.Sprintf(" %v", sub)
		}
		out = append(out, s)
	}
	slices.Sort(out)
	return out
}
