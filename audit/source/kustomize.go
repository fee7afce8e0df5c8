package source

import (
	"encoding/json"
	"fmt"
	"path/filepath"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/driftgate/driftgate/audit"
)

// kustomize builds the kustomization in dir (its file is kfile) with kustomize's default
// options, after checking that it needs no network.
func (t tree) kustomize(dir, kfile string) ([]audit.Object, error) {
	name := t.rel(filepath.Join(dir, kfile))
	if err := t.checkOffline(dir); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, t.trimRoot(err))
	}
	return objects(name, m)
}

// objects converts kustomize's output into audit objects with JSON-decoded content, as
// audit.Parse makes them; Source is the kustomization file and the object.
func objects(name string, m resmap.ResMap) ([]audit.Object, error) {
	objs := make([]audit.Object, 0, m.Size())
	for _, r := range m.Resources() {
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", name, r.CurId(), err)
		}
		o := audit.Object{}
		if err := json.Unmarshal(data, &o.Content); err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", name, r.CurId(), err)
		}
		o.Source = fmt.Sprintf("%s (%s)", name, describe(o))
		objs = append(objs, o)
	}
	return objs, nil
}

// describe names an object as Kind/name or Kind/namespace/name.
func describe(o audit.Object) string {
	if o.Namespace() == "" {
		return o.Kind() + "/" + o.Name()
	}
	return o.Kind() + "/" + o.Namespace() + "/" + o.Name()
}

// trimRoot drops the root directory (a temporary checkout) from kustomize's messages.
func (t tree) trimRoot(err error) error {
	return scrub(err, t.root+string(filepath.Separator), "", t.root, ".")
}
