package source

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path/filepath"
	"reflect"
	"slices"
	"strings"

	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/api/resmap"
	"sigs.k8s.io/kustomize/api/resource"
	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/driftgate/driftgate/audit"
)

// kustomize builds the kustomization in dir (its file is kfile) with kustomize's default
// options, after checking that it needs no network.
//
// To name the file each object comes from, the build runs with kustomize's origin tracking:
// kustomize reads the kustomization file with originAnnotations added to its buildMetadata
// (the file on disk is not changed), and the config.kubernetes.io/origin annotation it writes
// is removed again from every object, as a build without it would have done. When the
// kustomization itself asks for originAnnotations the annotation is kept, because then it is
// part of what gets applied.
func (t tree) kustomize(dir, kfile string) ([]audit.Object, error) {
	name := t.rel(filepath.Join(dir, kfile))
	if err := t.checkOffline(dir); err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	m, mode, err := t.build(filesys.MakeFsOnDisk(), dir, kfile, krusty.MakeDefaultOptions())
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", name, err)
	}
	return t.objects(dir, name, mode, m)
}

// build runs kustomize on dir, whose kustomization file is kfile, in fSys with opts, tracking
// origins (see kustomize).
func (t tree) build(fSys filesys.FileSystem, dir, kfile string, opts *krusty.Options) (resmap.ResMap, originMode, error) {
	fSys, mode := originFS(fSys, dir, kfile)
	m, err := krusty.MakeKustomizer(opts).Run(fSys, dir)
	if err != nil {
		return nil, mode, t.trimRoot(err)
	}
	return m, mode, nil
}

// originMode is how a build tracks where objects come from.
type originMode int

const (
	// noOrigins: the kustomization file could not be given originAnnotations; every object's
	// Source is the kustomization file.
	noOrigins originMode = iota
	// addedOrigins: originAnnotations were added for the build and are removed from its output.
	addedOrigins
	// ownOrigins: the kustomization asks for originAnnotations itself; they stay.
	ownOrigins
)

// originFS returns fSys with the kustomization file kfile in dir reading with originAnnotations
// in its buildMetadata, and how origins are tracked. When the file cannot be read or decoded,
// or the change could alter anything else, it returns fSys unchanged (and kustomize reports
// what is wrong with the file).
func originFS(fSys filesys.FileSystem, dir, kfile string) (filesys.FileSystem, originMode) {
	root, _, err := fSys.CleanedAbs(dir) // the directory as kustomize's loader names it
	if err != nil {
		return fSys, noOrigins // kustomize reports it
	}
	path := root.Join(kfile)
	data, err := fSys.ReadFile(path)
	if err != nil {
		return fSys, noOrigins
	}
	changed, mode := withOriginAnnotations(data)
	if mode != addedOrigins {
		return fSys, mode
	}
	return kustomizationFS{FileSystem: fSys, path: path, data: changed}, mode
}

// kustomizationFS is a file system in which one kustomization file reads with other content.
type kustomizationFS struct {
	filesys.FileSystem
	path string // cleaned absolute path, as kustomize's loader names it
	data []byte
}

func (f kustomizationFS) ReadFile(name string) ([]byte, error) {
	if filepath.Clean(name) == f.path {
		return bytes.Clone(f.data), nil
	}
	return f.FileSystem.ReadFile(name)
}

// withOriginAnnotations returns a kustomization file's content with originAnnotations added to
// its buildMetadata. The result decodes to the same kustomization but for that entry, or the
// mode is noOrigins. ownOrigins means the file already asks for originAnnotations.
func withOriginAnnotations(data []byte) ([]byte, originMode) {
	var k types.Kustomization
	if err := k.Unmarshal(data); err != nil {
		return nil, noOrigins
	}
	if slices.Contains(k.BuildMetadata, types.OriginAnnotations) {
		return nil, ownOrigins
	}
	if k.CheckEmpty() != nil {
		return nil, noOrigins // an empty kustomization is an error; adding a field would hide it
	}
	doc, err := kyaml.Parse(string(data))
	if err != nil || !addOriginAnnotations(doc.YNode()) {
		return nil, noOrigins
	}
	text, err := doc.String()
	if err != nil {
		return nil, noOrigins
	}
	var changed types.Kustomization
	if err := changed.Unmarshal([]byte(text)); err != nil ||
		!slices.Contains(changed.BuildMetadata, types.OriginAnnotations) {
		return nil, noOrigins
	}
	changed.BuildMetadata = slices.DeleteFunc(changed.BuildMetadata, func(s string) bool {
		return s == types.OriginAnnotations
	})
	if len(changed.BuildMetadata) == 0 && len(k.BuildMetadata) == 0 {
		changed.BuildMetadata = k.BuildMetadata
	}
	if !reflect.DeepEqual(k, changed) {
		return nil, noOrigins
	}
	return []byte(text), addedOrigins
}

// addOriginAnnotations adds originAnnotations to the buildMetadata list of a kustomization's
// top mapping, creating the list if there is none. Keys are matched as kustomize's JSON decoding
// matches them, without regard to case. It reports false when it cannot (not a mapping, or a
// buildMetadata that is not a plain list).
func addOriginAnnotations(n *kyaml.Node) bool {
	if n == nil || n.Kind != kyaml.MappingNode {
		return false
	}
	entry := &kyaml.Node{Kind: kyaml.ScalarNode, Tag: kyaml.NodeTagString, Value: types.OriginAnnotations}
	found := false
	for i := 0; i+1 < len(n.Content); i += 2 {
		key, value := n.Content[i], n.Content[i+1]
		if key.Kind != kyaml.ScalarNode || !strings.EqualFold(key.Value, "buildMetadata") {
			continue
		}
		found = true
		switch {
		case value.Kind == kyaml.SequenceNode && value.Anchor == "":
			value.Content = append(value.Content, entry)
		case value.Kind == kyaml.ScalarNode && value.Tag == kyaml.NodeTagNull:
			n.Content[i+1] = &kyaml.Node{Kind: kyaml.SequenceNode, Content: []*kyaml.Node{entry}}
		default:
			return false
		}
	}
	if !found {
		n.Content = append(n.Content,
			&kyaml.Node{Kind: kyaml.ScalarNode, Tag: kyaml.NodeTagString, Value: "buildMetadata"},
			&kyaml.Node{Kind: kyaml.SequenceNode, Content: []*kyaml.Node{entry}})
	}
	return true
}

// objects converts kustomize's output into audit objects with JSON-decoded content, as
// audit.Parse makes them. Source is the file the object comes from and the object: the resource
// file named by its origin, or for a generated object the kustomization file that configures
// the generator; the kustomization file (name) when kustomize gives no local origin.
func (t tree) objects(dir, name string, mode originMode, m resmap.ResMap) ([]audit.Object, error) {
	objs := make([]audit.Object, 0, m.Size())
	for _, r := range m.Resources() {
		file := name
		if mode != noOrigins {
			if origin, err := r.GetOrigin(); err == nil {
				file = t.originFile(dir, name, origin)
			}
		}
		if mode == addedOrigins {
			if err := r.SetOrigin(nil); err != nil {
				return nil, fmt.Errorf("render %s: %s: %w", name, r.CurId(), err)
			}
		}
		data, err := r.MarshalJSON()
		if err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", name, r.CurId(), err)
		}
		o := audit.Object{}
		if err := json.Unmarshal(data, &o.Content); err != nil {
			return nil, fmt.Errorf("render %s: %s: %w", name, r.CurId(), err)
		}
		o.Source = fmt.Sprintf("%s (%s)", file, describe(o))
		objs = append(objs, o)
	}
	return objs, nil
}

// originFile names the file an origin points to, relative to the root: its path, else the
// kustomization file it was configured in, both relative to dir (the directory of the
// kustomization being built). It returns name for an origin in a remote repository, for none,
// and for a file outside a checked-out repository.
func (t tree) originFile(dir, name string, o *resource.Origin) string {
	if o == nil || o.Repo != "" {
		return name
	}
	p := o.Path
	if p == "" {
		p = o.ConfiguredIn
	}
	if p == "" {
		return name
	}
	p = filepath.FromSlash(p)
	if !filepath.IsAbs(p) {
		p = filepath.Join(dir, p)
	}
	rel, err := filepath.Rel(t.root, p)
	if err != nil || t.confined && !filepath.IsLocal(rel) {
		return name // outside a checked-out repository: its path would name the checkout
	}
	return filepath.ToSlash(rel)
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
