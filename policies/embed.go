package policies

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

//go:embed *.rego
var embedded embed.FS

// Fixtures are the shipped decision fixtures (AdmissionReviews with their expected decision),
// run by `driftgate policy test`.
//
//go:embed fixtures/*.yaml
var Fixtures embed.FS

// Modules maps a policy file name to its Rego source.
type Modules map[string]string

// Embedded returns the shipped policy files; withTests adds their *_test.rego files.
func Embedded(withTests bool) Modules {
	mods, err := readModules(embedded, ".", "embedded/", withTests)
	if err != nil {
		panic("policies: embedded files unreadable: " + err.Error()) // build-time invariant
	}
	return mods
}

// ReadDir returns the *.rego files directly in dir; withTests adds *_test.rego files.
func ReadDir(dir string, withTests bool) (Modules, error) {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil, err
	}
	return readModules(os.DirFS(abs), ".", abs+"/", withTests)
}

func readModules(fsys fs.FS, dir, prefix string, withTests bool) (Modules, error) {
	entries, err := fs.ReadDir(fsys, dir)
	if err != nil {
		return nil, err
	}
	mods := Modules{}
	for _, e := range entries {
		name := e.Name()
		if e.IsDir() || !strings.HasSuffix(name, ".rego") || (!withTests && IsTestFile(name)) {
			continue
		}
		src, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		mods[prefix+name] = string(src)
	}
	return mods, nil
}

// IsTestFile reports whether a policy file holds Rego unit tests.
func IsTestFile(name string) bool { return strings.HasSuffix(name, "_test.rego") }

// Merge returns the union of module sets.
func Merge(sets ...Modules) Modules {
	out := Modules{}
	for _, s := range sets {
		for k, v := range s {
			out[k] = v
		}
	}
	return out
}

// Names returns the module names in order.
func (m Modules) Names() []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
