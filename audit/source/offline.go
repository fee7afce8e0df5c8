package source

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/types"
	"sigs.k8s.io/yaml"
)

// ref is one file or directory a kustomization names, and the field naming it.
type ref struct{ field, value string }

// checkOffline checks the kustomization in dir and the local kustomizations it includes before
// kustomize runs: a reference kustomize would fetch over the network is refused (kustomize
// would clone or download with long or no timeouts), and so, when t is confined, is a
// directory outside the root.
func (t tree) checkOffline(dir string) error {
	return t.checkKustomization(dir, dir, map[string]bool{})
}

func (t tree) checkKustomization(top, dir string, seen map[string]bool) error {
	if seen[dir] {
		return nil
	}
	seen[dir] = true
	k, ok := readKustomization(dir)
	if !ok {
		return nil // kustomize reports what is wrong with it
	}
	fail := func(r ref, err error) error {
		if dir == top {
			return fmt.Errorf("%s %q: %w", r.field, r.value, err)
		}
		return fmt.Errorf("%s: %s %q: %w", t.rel(filepath.Join(dir, kustomizationFile(dir))), r.field, r.value, err)
	}
	for _, r := range fileRefs(k) {
		if isRemoteRef(r.value) {
			return fail(r, ErrRemoteResource)
		}
	}
	for _, r := range dirRefs(k) {
		p, ok := localRef(dir, r.value)
		switch {
		case !ok: // remote references were refused above
			continue
		case t.confined && !t.inside(p):
			return fail(r, ErrOutsideRepository)
		case kustomizationFile(p) != "":
			if err := t.checkKustomization(top, p, seen); err != nil {
				return err
			}
		}
	}
	return nil
}

// readKustomization decodes dir's kustomization file; false when it cannot.
func readKustomization(dir string) (types.Kustomization, bool) {
	var k types.Kustomization
	name := kustomizationFile(dir)
	if name == "" {
		return k, false
	}
	data, err := os.ReadFile(filepath.Join(dir, name))
	if err != nil || yaml.Unmarshal(data, &k) != nil {
		return k, false
	}
	return k, true
}

// dirRefs are the references that may be directories (kustomizations) or remote bases.
func dirRefs(k types.Kustomization) []ref {
	var refs []ref
	add := func(field string, values []string) {
		for _, v := range values {
			refs = append(refs, ref{field, v})
		}
	}
	add("resources", k.Resources)
	add("bases", k.Bases)
	add("components", k.Components)
	add("generators", k.Generators)
	add("transformers", k.Transformers)
	add("validators", k.Validators)
	return refs
}

// fileRefs are all references to files and directories kustomize loads.
func fileRefs(k types.Kustomization) []ref {
	refs := dirRefs(k)
	add := func(field string, values ...string) {
		for _, v := range values {
			refs = append(refs, ref{field, v})
		}
	}
	add("crds", k.Crds...)
	add("configurations", k.Configurations...)
	add("openapi", k.OpenAPI["path"])
	for _, p := range k.PatchesStrategicMerge {
		add("patchesStrategicMerge", string(p))
	}
	for _, p := range append(k.Patches, k.PatchesJson6902...) {
		add("patches", p.Path)
	}
	for _, r := range k.Replacements {
		add("replacements", r.Path)
	}
	for _, g := range k.ConfigMapGenerator {
		add("configMapGenerator", generatorFiles(g.KvPairSources)...)
	}
	for _, g := range k.SecretGenerator {
		add("secretGenerator", generatorFiles(g.KvPairSources)...)
	}
	return refs
}

// generatorFiles are a generator's files ("key=path" or "path") and env files.
func generatorFiles(s types.KvPairSources) []string {
	files := append([]string{s.EnvSource}, s.EnvSources...)
	for _, f := range s.FileSources {
		_, p, found := strings.Cut(f, "=")
		if !found {
			p = f
		}
		files = append(files, p)
	}
	return files
}

// isRemoteRef reports whether kustomize would fetch a reference over the network: a URL, a
// go-getter "git::" address, an scp-like user@host:path, or a github.com/… repository. Inline
// content (several lines) is not a reference.
func isRemoteRef(v string) bool {
	v = strings.TrimSpace(v)
	lower := strings.ToLower(v)
	switch {
	case v == "" || strings.Contains(v, "\n"):
		return false
	case strings.HasPrefix(lower, "git::"), strings.Contains(v, "://"):
		return true
	case strings.HasPrefix(lower, "github.com/"), strings.HasPrefix(lower, "github.com:"):
		return true
	}
	return hasUserPrefix(v)
}

// hasUserPrefix reports an scp-like "user@" prefix, as kustomize matches it:
// a letter, then letters, digits or dashes, then "@".
func hasUserPrefix(v string) bool {
	for i, c := range v {
		switch {
		case c == '@':
			return i > 0
		case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z':
		case i > 0 && ('0' <= c && c <= '9' || c == '-'):
		default:
			return false
		}
	}
	return false
}

// localRef joins a reference that is a relative path to the kustomization's directory.
func localRef(dir, v string) (string, bool) {
	if v == "" || strings.Contains(v, "\n") || filepath.IsAbs(v) {
		return "", false
	}
	return filepath.Join(dir, v), true
}

// inside reports whether p is the root or below it.
func (t tree) inside(p string) bool {
	rel, err := filepath.Rel(t.root, p)
	return err == nil && filepath.IsLocal(rel) || rel == "."
}
