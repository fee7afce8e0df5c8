package audit

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"

	utilyaml "k8s.io/apimachinery/pkg/util/yaml"
	"sigs.k8s.io/yaml"
)

// kustomizeGroup holds kustomize's own build files (Kustomization, Component): they describe how
// to render manifests and are never objects of the cluster.
const kustomizeGroup = "kustomize.config.k8s.io"

// Load reads the objects of a manifest file or of every *.yaml, *.yml and *.json file below a
// directory (hidden files and directories skipped). Files may hold several YAML documents, JSON,
// and `kind: List` (or any *List with items). Errors name the file and the document.
func Load(path string) ([]Object, error) {
	files, err := manifestFiles(path)
	if err != nil {
		return nil, err
	}
	var objs []Object
	for _, f := range files {
		got, err := LoadFile(f)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

func manifestFiles(path string) ([]string, error) {
	info, err := os.Stat(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifests: %w", err)
	}
	if !info.IsDir() {
		return []string{path}, nil
	}
	var files []string
	err = filepath.WalkDir(path, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		hidden := p != path && strings.HasPrefix(d.Name(), ".")
		switch {
		case d.IsDir() && hidden:
			return filepath.SkipDir
		case d.IsDir(), hidden:
			return nil
		case isManifestFile(d.Name()):
			files = append(files, p)
		}
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("reading manifests in %s: %w", path, err)
	}
	sort.Strings(files)
	return files, nil
}

func isManifestFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// LoadFile reads the objects of one manifest file.
func LoadFile(path string) ([]Object, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading manifests: %w", err)
	}
	return Parse(path, data)
}

// Parse decodes the objects of one manifest file's content; name is used in errors and sources.
func Parse(name string, data []byte) ([]Object, error) { return ParseKeeping(name, data, nil) }

// ParseKeeping is Parse keeping only the objects keep accepts, before they are checked (a
// renderer that drops what its tool drops: Argo CD's hooks, objects with a generateName); nil
// keeps all.
func ParseKeeping(name string, data []byte, keep func(Object) bool) ([]Object, error) {
	r := utilyaml.NewYAMLReader(bufio.NewReader(bytes.NewReader(data)))
	var objs []Object
	for doc := 1; ; doc++ {
		raw, err := r.Read()
		if errors.Is(err, io.EOF) {
			return objs, nil
		}
		if err != nil {
			return nil, fmt.Errorf("%s: document %d: %w", name, doc, err)
		}
		got, err := parseDocument(fmt.Sprintf("%s (document %d)", name, doc), raw, keep)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
}

func parseDocument(source string, raw []byte, keep func(Object) bool) ([]Object, error) {
	if len(bytes.TrimSpace(raw)) == 0 {
		return nil, nil
	}
	var v any
	if err := yaml.Unmarshal(raw, &v); err != nil {
		return nil, fmt.Errorf("%s: not valid YAML or JSON: %w", source, err)
	}
	if v == nil {
		return nil, nil // a document of comments only
	}
	m, ok := v.(map[string]any)
	if !ok {
		return nil, fmt.Errorf("%s: not a Kubernetes object (a %s, not a mapping)", source, describe(v))
	}
	return unwrap(Object{Source: source, Content: m}, keep)
}

// unwrap returns the items of a List, or the object itself.
func unwrap(o Object, keep func(Object) bool) ([]Object, error) {
	items, isList := o.Content["items"].([]any)
	if !strings.HasSuffix(o.Kind(), "List") || (!isList && o.Content["items"] != nil) {
		return single(o, keep)
	}
	var objs []Object
	for i, it := range items {
		m, ok := it.(map[string]any)
		if !ok {
			return nil, fmt.Errorf("%s: items[%d] is not a Kubernetes object", o.Source, i)
		}
		got, err := unwrap(Object{Source: fmt.Sprintf("%s items[%d]", o.Source, i), Content: m}, keep)
		if err != nil {
			return nil, err
		}
		objs = append(objs, got...)
	}
	return objs, nil
}

func single(o Object, keep func(Object) bool) ([]Object, error) {
	if o.Group() == kustomizeGroup || (keep != nil && !keep(o)) {
		return nil, nil
	}
	if err := o.validate(); err != nil {
		return nil, err
	}
	return []Object{o}, nil
}

func describe(v any) string {
	switch v.(type) {
	case []any:
		return "list"
	case string:
		return "string"
	default:
		return "scalar"
	}
}
