package backport

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strconv"
	"strings"

	"k8s.io/apimachinery/pkg/labels"
	"sigs.k8s.io/kustomize/api/konfig"
	"sigs.k8s.io/kustomize/api/types"
	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// kustomization is one kustomization file as the locator reads it.
type kustomization struct {
	dir, file string
	k         types.Kustomization
}

func isKustomizationFile(file string) bool {
	return slices.Contains(konfig.RecognizedKustomizationFileNames(), path.Base(file))
}

// loadKustomization reads the kustomization of dir; ok is false when dir has none.
func (l Files) loadKustomization(dir string) (*kustomization, bool, error) {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		file := path.Join(dir, name)
		data, err := fs.ReadFile(l.FS, file)
		if err != nil {
			continue
		}
		var k types.Kustomization
		if err := k.Unmarshal(data); err != nil {
			return nil, false, fmt.Errorf("reading %s: %w", file, err)
		}
		k.FixKustomization()
		return &kustomization{dir: dir, file: file, k: k}, true, nil
	}
	return nil, false, nil
}

// roots are the kustomizations the source builds: its directory's, or each kustomization
// directory below it (not inside another), as package source renders them.
func (l Files) roots() ([]*kustomization, error) {
	if k, ok, err := l.loadKustomization(l.Path); ok || err != nil {
		return []*kustomization{k}, err
	}
	var out []*kustomization
	err := fs.WalkDir(l.FS, l.Path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() || p == l.Path {
			return nil
		}
		if strings.HasPrefix(d.Name(), ".") {
			return fs.SkipDir
		}
		k, ok, err := l.loadKustomization(p)
		if err != nil {
			return err
		}
		if ok {
			out = append(out, k)
			return fs.SkipDir
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", l.Path, err)
	}
	return out, nil
}

// chainTo is the kustomizations from a root of the source down to the one whose resources list
// file, outermost first; empty when no kustomization reaches file (a plain manifest).
func (l Files) chainTo(file string) ([]*kustomization, error) {
	roots, err := l.roots()
	if err != nil {
		return nil, err
	}
	for _, k := range roots {
		chain, err := l.chainFrom(k, file, map[string]bool{})
		if err != nil || chain != nil {
			return chain, err
		}
	}
	return nil, nil
}

func (l Files) chainFrom(k *kustomization, file string, seen map[string]bool) ([]*kustomization, error) {
	if seen[k.dir] {
		return nil, nil
	}
	seen[k.dir] = true
	for _, r := range append(slices.Clone(k.k.Resources), k.k.Components...) {
		p := path.Join(k.dir, r)
		if p == file {
			return []*kustomization{k}, nil
		}
		sub, ok, err := l.loadKustomization(p)
		if err != nil || !ok {
			continue // a file, a remote base: the render has said what is wrong with it
		}
		chain, err := l.chainFrom(sub, file, seen)
		if err != nil {
			return nil, err
		}
		if chain != nil {
			return append([]*kustomization{k}, chain...), nil
		}
	}
	return nil, nil
}

// patch is one patch that applies to the object: a strategic-merge document, or JSON 6902 ops.
type patch struct {
	doc
	ops []any // JSON 6902 operations; nil for a strategic-merge patch
}

func (p patch) where() string {
	if p.inline != nil {
		return fmt.Sprintf("an inline patch in %s", p.file)
	}
	return p.file
}

// identity is how the object is named where a kustomization's patches see it.
type identity struct {
	group, version, kind string
	names, namespaces    []string
	labels, annotations  map[string]any
}

// kustomized places the value of a kustomized object: in the last patch that sets it (patches
// of inner kustomizations first, then outer ones, each in kustomize's order), else in the
// resource file (the base). A value no file sets that Git renders anyway comes from a
// transformer (images, replicas, labels, namespace): it is not placed. A value Git lacks goes
// to the applying file that has most of its path (ties to the later patch).
func (l Files) kustomized(obj audit.Object, chain []*kustomization, base doc, p []fieldpath.Segment, value any, remove bool) ([]Write, error) {
	patches, err := l.applying(obj, chain, base)
	if err != nil {
		return nil, err
	}
	var setters []patch
	for _, pt := range patches {
		switch rel, _ := pt.covers(p); {
		case rel == relNone:
		case pt.ops != nil && rel == relMaybe:
			return nil, fmt.Errorf("%w: a JSON 6902 patch in %s may set %s (an operation through a list index): change it there by hand",
				ErrUnplaceable, pt.where(), fieldpath.Path(p))
		default:
			setters = append(setters, pt)
		}
	}
	_, inBase := base.lookup(p)
	_, rendered := fieldpath.Lookup(any(obj.Content), p)
	if remove {
		var out []Write
		for _, pt := range setters {
			if pt.ops != nil {
				return nil, fmt.Errorf("%w: a JSON 6902 patch in %s sets %s: remove that operation by hand", ErrUnplaceable, pt.where(), fieldpath.Path(p))
			}
			out = append(out, pt.write(p, nil, true))
		}
		if inBase {
			out = append(out, base.write(p, nil, true))
		}
		if len(out) == 0 && rendered {
			return nil, transformed(chain, p)
		}
		return out, nil
	}
	renderedValue, _ := fieldpath.Lookup(any(obj.Content), p)
	if n := len(setters); n > 0 {
		last := setters[n-1]
		at := p
		if last.ops != nil {
			_, at = last.covers(p)
		}
		if v, _ := last.lookupRaw(at); !sameJSON(v, renderedValue) {
			return nil, transformed(chain, p)
		}
		return []Write{last.write(at, value, false)}, nil
	}
	if inBase {
		if v, _ := base.lookup(p); !sameJSON(v, renderedValue) {
			return nil, transformed(chain, p)
		}
		return []Write{base.write(p, value, false)}, nil
	}
	if rendered {
		return nil, transformed(chain, p)
	}
	best, depth := base, base.depth(p)
	for _, pt := range patches {
		if pt.ops == nil && pt.depth(p) >= depth {
			best, depth = pt.doc, pt.depth(p)
		}
	}
	return []Write{best.write(p, value, false)}, nil
}

// lookupRaw is the value at p in the patch: in its document, or for JSON 6902 in its ops list.
func (pt patch) lookupRaw(p []fieldpath.Segment) (any, bool) {
	if pt.ops != nil {
		return fieldpath.Lookup(any(pt.ops), p)
	}
	return pt.lookup(p)
}

// sameJSON reports whether two decoded values are the same JSON (an int64 and a float64 of the
// same number are).
func sameJSON(a, b any) bool {
	ja, errA := json.Marshal(a)
	jb, errB := json.Marshal(b)
	return errA == nil && errB == nil && bytes.Equal(ja, jb)
}

func transformed(chain []*kustomization, p []fieldpath.Segment) error {
	files := make([]string, 0, len(chain))
	for _, k := range chain {
		files = append(files, k.file)
	}
	return fmt.Errorf("%w: no file sets %s: it comes from a kustomize transformer (images, replicas, labels, namespace) in %s: change it there by hand",
		ErrUnplaceable, fieldpath.Path(p), strings.Join(files, " or "))
}

// relation is how a patch relates to a path.
type relation int

const (
	relNone  relation = iota // the patch does not set it
	relSets                  // it sets the path (or a value the path is inside)
	relMaybe                 // a JSON 6902 operation that may set it: through a list index
)

// covers says whether the patch sets p. For JSON 6902 ops it also returns where in the ops list
// the value is: [i, "value", rest of p below the op's path].
func (pt patch) covers(p []fieldpath.Segment) (relation, []fieldpath.Segment) {
	if pt.ops == nil {
		if _, ok := pt.lookup(p); ok {
			return relSets, nil
		}
		return relNone, nil
	}
	var found relation
	var at []fieldpath.Segment
	for i, raw := range pt.ops {
		op, _ := raw.(map[string]any)
		kind, _ := op["op"].(string)
		ptr, _ := op["path"].(string)
		if kind == "test" || ptr == "" {
			continue
		}
		switch rel, rest := pointerCovers(ptr, p); {
		case rel == relMaybe:
			found = relMaybe
		case rel == relSets && kind != "add" && kind != "replace":
			found = relMaybe // remove, move, copy: not a value to change
		case rel == relSets:
			found = relSets
			at = append([]fieldpath.Segment{fieldpath.IndexSegment(i), fieldpath.KeySegment("value")}, rest...)
		}
	}
	return found, at
}

// pointerCovers compares a JSON pointer with a path: relSets with the rest of the path when the
// pointer names a map key at or above it; relMaybe where it goes through a list index or below
// the path; relNone when it names another field.
func pointerCovers(ptr string, p []fieldpath.Segment) (relation, []fieldpath.Segment) {
	tokens := strings.Split(strings.TrimPrefix(ptr, "/"), "/")
	uncertain := false // an index or "-" stood for a keyed item: it may or may not be the same
	for i, tok := range tokens {
		tok = strings.ReplaceAll(strings.ReplaceAll(tok, "~1", "/"), "~0", "~")
		if i == len(p) {
			return relMaybe, nil // the op sets something inside the value
		}
		key, isKey := p[i].MapKey()
		_, numErr := strconv.Atoi(tok)
		switch {
		case !isKey && (numErr == nil || tok == "-"):
			uncertain = true
		case !isKey || key != tok:
			return relNone, nil
		}
	}
	if uncertain {
		return relMaybe, nil
	}
	return relSets, p[len(tokens):]
}

// applying lists the patches that apply to the object, in the order kustomize applies them:
// the innermost kustomization's first; in each, its components' patches, then
// patchesStrategicMerge, patches and patchesJson6902.
func (l Files) applying(obj audit.Object, chain []*kustomization, base doc) ([]patch, error) {
	b := audit.Object{Content: base.content}
	id := identity{
		group: obj.Group(), kind: obj.Kind(),
		names: []string{b.Name()}, namespaces: []string{b.Namespace()},
		labels: obj.Labels(), annotations: obj.Annotations(),
	}
	_, id.version, _ = strings.Cut(obj.APIVersion(), "/")
	if !strings.Contains(obj.APIVersion(), "/") {
		id.version = obj.APIVersion()
	}
	var out []patch
	for i := len(chain) - 1; i >= 0; i-- {
		k := chain[i]
		for _, c := range k.k.Components {
			dir := path.Join(k.dir, c)
			if i+1 < len(chain) && chain[i+1].dir == dir {
				continue // on the chain: its patches were taken as an inner level
			}
			ck, ok, err := l.loadKustomization(dir)
			if err != nil {
				return nil, err
			}
			if ok {
				got, err := l.patchesOf(ck, id)
				if err != nil {
					return nil, err
				}
				out = append(out, got...)
			}
		}
		got, err := l.patchesOf(k, id)
		if err != nil {
			return nil, err
		}
		out = append(out, got...)
		name := id.names[len(id.names)-1]
		id.names = append(id.names, k.k.NamePrefix+name+k.k.NameSuffix)
		if k.k.Namespace != "" {
			id.namespaces = append(id.namespaces, k.k.Namespace)
		}
	}
	return out, nil
}

// patchesOf lists k's patches that apply to the object named id.
func (l Files) patchesOf(k *kustomization, id identity) ([]patch, error) {
	var out []patch
	add := func(src []byte, file string, inline []fieldpath.Segment, target *types.Selector, json6902 bool) error {
		docs, err := readDocs(src)
		if err != nil {
			return fmt.Errorf("reading a patch in %s: %w", file, err)
		}
		if json6902 || isOpsList(src) {
			if target == nil || !id.matches(target) {
				return nil
			}
			var ops []any
			f, err := parseYAML(src)
			if err != nil || len(f.docs) == 0 || len(f.docs[0].Content) == 0 {
				return err
			}
			v, err := decodeNode(f.docs[0].Content[0])
			if err != nil {
				return err
			}
			ops, _ = v.([]any)
			out = append(out, patch{doc: doc{file: file, inline: inline}, ops: ops})
			return nil
		}
		for i, m := range docs {
			if m == nil {
				continue
			}
			if target != nil && !id.matches(target) || target == nil && !id.named(m) {
				continue
			}
			out = append(out, patch{doc: doc{file: file, index: i, inline: inline, content: m}})
		}
		return nil
	}
	for i, p := range k.k.PatchesStrategicMerge {
		file := path.Join(k.dir, string(p))
		if src, err := fs.ReadFile(l.FS, file); err == nil {
			if err := add(src, file, nil, nil, false); err != nil {
				return nil, err
			}
			continue
		}
		inline := []fieldpath.Segment{fieldpath.KeySegment("patchesStrategicMerge"), fieldpath.IndexSegment(i)}
		if err := add([]byte(p), k.file, inline, nil, false); err != nil {
			return nil, err
		}
	}
	for _, list := range []struct {
		key      string
		patches  []types.Patch
		json6902 bool
	}{{"patches", k.k.Patches, false}, {"patchesJson6902", k.k.PatchesJson6902, true}} {
		for i, p := range list.patches {
			var err error
			if p.Path != "" {
				file := path.Join(k.dir, p.Path)
				src, rerr := fs.ReadFile(l.FS, file)
				if rerr != nil {
					return nil, fmt.Errorf("reading the patch %s: %w", file, rerr)
				}
				err = add(src, file, nil, p.Target, list.json6902)
			} else {
				inline := []fieldpath.Segment{fieldpath.KeySegment(list.key), fieldpath.IndexSegment(i), fieldpath.KeySegment("patch")}
				err = add([]byte(p.Patch), k.file, inline, p.Target, list.json6902)
			}
			if err != nil {
				return nil, err
			}
		}
	}
	return out, nil
}

// isOpsList reports whether a patch is a YAML or JSON list (JSON 6902 operations).
func isOpsList(src []byte) bool {
	f, err := parseYAML(src)
	return err == nil && len(f.docs) > 0 && len(f.docs[0].Content) > 0 && f.docs[0].Content[0].Kind == kyaml.SequenceNode
}

// named reports whether a strategic-merge patch document (without a target) names the object.
func (id identity) named(m map[string]any) bool {
	o := audit.Object{Content: m}
	if o.Kind() != id.kind || o.Group() != id.group {
		return false
	}
	if !slices.Contains(id.names, o.Name()) {
		return false
	}
	return o.Namespace() == "" || slices.Contains(id.namespaces, o.Namespace())
}

// matches reports whether a patch target selects the object, as kustomize reads it: names and
// namespaces are anchored regular expressions, label and annotation selectors are read against
// the rendered object.
func (id identity) matches(t *types.Selector) bool {
	re := func(pattern string, values []string) bool {
		if pattern == "" {
			return true
		}
		r, err := regexp.Compile("^(?:" + pattern + ")$")
		if err != nil {
			return false
		}
		return slices.ContainsFunc(values, r.MatchString)
	}
	switch {
	case t.Kind != "" && t.Kind != id.kind,
		t.Group != "" && t.Group != id.group,
		t.Version != "" && t.Version != id.version,
		!re(t.Name, id.names),
		!re(t.Namespace, id.namespaces):
		return false
	}
	return selects(t.LabelSelector, id.labels) && selects(t.AnnotationSelector, id.annotations)
}

func selects(selector string, m map[string]any) bool {
	if selector == "" {
		return true
	}
	sel, err := labels.Parse(selector)
	if err != nil {
		return false
	}
	set := labels.Set{}
	for k, v := range m {
		set[k] = fmt.Sprint(v)
	}
	return sel.Matches(set)
}
