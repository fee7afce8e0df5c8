package audit

import (
	"fmt"
	"reflect"
	"strings"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// Object is one manifest: its decoded JSON content and where it was read from.
type Object struct {
	// Source names the file (and document) the object came from, for error messages.
	Source string
	// Content is the object as decoded JSON (map[string]any, []any, scalars).
	Content map[string]any
	// SetBy are what else sets values on the object besides its file, as the renders without
	// each of them (a Flux Kustomization's own patches, images, …); only those that change it.
	SetBy []Setter
}

// Setter is something that sets values on a rendered object besides its file: What names it
// (where a person changes those values), Content is the object rendered without it (nil: the
// object is not rendered at all without it).
type Setter struct {
	What    string
	Content map[string]any
}

// File is the file part of the object's Source ("apps/web.yaml (document 2)" → "apps/web.yaml").
func (o Object) File() string {
	src, _, _ := strings.Cut(o.Source, " (")
	src, _, _ = strings.Cut(src, " items[")
	return src
}

// FileFor is where the values at paths are set: the first Setter whose render differs at one of
// them, else the object's file. A path that does not parse is taken to be the file's.
func (o Object) FileFor(paths []string) string {
	for _, s := range o.SetBy {
		for _, p := range paths {
			segs, err := fieldpath.Parse(p)
			if err != nil {
				continue
			}
			if s.Content == nil {
				return s.What
			}
			got, gotOK := fieldpath.Lookup(any(o.Content), segs)
			was, wasOK := fieldpath.Lookup(any(s.Content), segs)
			if gotOK != wasOK || !reflect.DeepEqual(got, was) {
				return s.What
			}
		}
	}
	return o.File()
}

// objectKey identifies an object across Git and the cluster. Versions are not part of it: Git may
// hold apps/v1 where the cluster served another version of the same kind.
type objectKey struct {
	Group, Kind, Namespace, Name string
}

func (k objectKey) String() string {
	gk := k.Kind
	if k.Group != "" {
		gk += "." + k.Group
	}
	if k.Namespace == "" {
		return gk + "/" + k.Name
	}
	return gk + "/" + k.Namespace + "/" + k.Name
}

// APIVersion is the object's apiVersion.
func (o Object) APIVersion() string { return str(o.Content["apiVersion"]) }

// Kind is the object's kind.
func (o Object) Kind() string { return str(o.Content["kind"]) }

// Group is the API group of the object's apiVersion ("" for the core group).
func (o Object) Group() string {
	group, _, found := strings.Cut(o.APIVersion(), "/")
	if !found {
		return ""
	}
	return group
}

// Name is metadata.name.
func (o Object) Name() string { return str(o.metadata()["name"]) }

// Namespace is metadata.namespace ("" when unset).
func (o Object) Namespace() string { return str(o.metadata()["namespace"]) }

// Labels are metadata.labels.
func (o Object) Labels() map[string]any { return mapOf(o.metadata()["labels"]) }

// Annotations are metadata.annotations.
func (o Object) Annotations() map[string]any { return mapOf(o.metadata()["annotations"]) }

func (o Object) metadata() map[string]any { return mapOf(o.Content["metadata"]) }

func (o Object) key(namespace string) objectKey {
	return objectKey{Group: o.Group(), Kind: o.Kind(), Namespace: namespace, Name: o.Name()}
}

// IsHook reports whether a GitOps tool runs the object as a hook rather than keeping it as a
// resource: Argo CD's argocd.argoproj.io/hook (any value, Skip included), or else Helm's
// helm.sh/hook but crd-install (Helm 2's CRDs, which Argo CD keeps). Neither Git's hooks nor
// live ones are compared, and a live one is never orphaned.
func IsHook(o Object) bool {
	ann := o.Annotations()
	if _, ok := ann["argocd.argoproj.io/hook"]; ok {
		return true
	}
	h, ok := ann["helm.sh/hook"].(string)
	return ok && h != "crd-install"
}

// validate reports what keeps the object from being diffed.
func (o Object) validate() error {
	switch {
	case o.APIVersion() == "":
		return fmt.Errorf("%s: object has no apiVersion", o.Source)
	case o.Kind() == "":
		return fmt.Errorf("%s: object has no kind", o.Source)
	case o.Name() == "":
		return fmt.Errorf("%s: %s has no metadata.name", o.Source, o.Kind())
	}
	return nil
}

func str(v any) string {
	s, _ := v.(string)
	return s
}

func mapOf(v any) map[string]any {
	m, _ := v.(map[string]any)
	return m
}
