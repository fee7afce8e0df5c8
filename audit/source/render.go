package source

import (
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"sigs.k8s.io/kustomize/api/konfig"

	"github.com/driftgate/driftgate/audit"
)

// Render renders one directory (or manifest file). A directory with a kustomization file
// (kustomization.yaml, kustomization.yml or Kustomization) is built with kustomize, in-process,
// with default options, no plugins and no network: a remote base or resource fails at once with
// ErrRemoteResource. Otherwise every *.yaml, *.yml and *.json file below it is read as
// audit.Load reads it (hidden files and directories skipped), except that a subdirectory with
// its own kustomization file is built by kustomize as one unit and its files are not read raw.
// Sources are relative to dir (an object from a base outside dir has a "../" Source); an object
// built by kustomize names the file that defines it (see the package documentation). An empty
// directory renders to no objects.
func Render(dir string) ([]audit.Object, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", dir, err)
	}
	root := dir
	if !info.IsDir() {
		root = filepath.Dir(dir)
	}
	return tree{root: root}.render(dir)
}

// tree is a directory being rendered. Sources and errors name files relative to root; when
// confined (a checked-out repository), kustomizations may not reference directories outside it.
type tree struct {
	root     string
	confined bool
}

// render renders dir (or a file) below t.root.
func (t tree) render(dir string) ([]audit.Object, error) {
	info, err := os.Stat(dir)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", t.rel(dir), err)
	}
	if !info.IsDir() {
		return t.parseFile(dir)
	}
	if kfile := kustomizationFile(dir); kfile != "" {
		return t.kustomize(dir, kfile)
	}
	return t.walk(dir)
}

// walk reads the manifests below dir, building each kustomization directory as one unit.
func (t tree) walk(dir string) ([]audit.Object, error) {
	var objs []audit.Object
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return fmt.Errorf("render %s: %w", t.rel(p), err)
		}
		if p == dir {
			return nil
		}
		got, err := t.visit(p, d)
		objs = append(objs, got...)
		return err
	})
	if err != nil {
		return nil, err
	}
	return objs, nil
}

// visit renders one entry of a walk; it returns filepath.SkipDir for directories it handled or
// skips.
func (t tree) visit(p string, d fs.DirEntry) ([]audit.Object, error) {
	hidden := strings.HasPrefix(d.Name(), ".")
	switch {
	case d.IsDir() && hidden:
		return nil, filepath.SkipDir
	case d.IsDir():
		kfile := kustomizationFile(p)
		if kfile == "" {
			return nil, nil
		}
		objs, err := t.kustomize(p, kfile)
		if err != nil {
			return nil, err
		}
		return objs, filepath.SkipDir
	case hidden || !isManifestFile(d.Name()):
		return nil, nil
	}
	return t.parseFile(p)
}

func (t tree) parseFile(p string) ([]audit.Object, error) {
	data, err := os.ReadFile(p)
	if err != nil {
		return nil, fmt.Errorf("render %s: %w", t.rel(p), err)
	}
	return audit.Parse(t.rel(p), data)
}

// rel names p relative to the root, with slashes.
func (t tree) rel(p string) string {
	rel, err := filepath.Rel(t.root, p)
	if err != nil || rel == "." {
		return filepath.ToSlash(p)
	}
	return filepath.ToSlash(rel)
}

func isManifestFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

// kustomizationFile returns the name of dir's kustomization file, or "".
func kustomizationFile(dir string) string {
	for _, name := range konfig.RecognizedKustomizationFileNames() {
		if info, err := os.Stat(filepath.Join(dir, name)); err == nil && info.Mode().IsRegular() {
			return name
		}
	}
	return ""
}
