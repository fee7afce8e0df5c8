package backport

import (
	"fmt"
	"io/fs"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// Changes are the files a backport changes: their new content by path in the repository.
type Changes map[string][]byte

// Apply makes the writes on the files of fsys, on top of what changes already holds, and
// records the new contents in changes. On error changes is left as it was.
func Apply(fsys fs.FS, changes Changes, writes []Write) error {
	next := Changes{}
	read := func(file string) ([]byte, error) {
		if b, ok := next[file]; ok {
			return b, nil
		}
		if b, ok := changes[file]; ok {
			return b, nil
		}
		b, err := fs.ReadFile(fsys, file)
		if err != nil {
			return nil, fmt.Errorf("reading %s: %w", file, err)
		}
		return b, nil
	}
	for _, w := range writes {
		src, err := read(w.File)
		if err != nil {
			return err
		}
		out, err := applyWrite(src, w)
		if err != nil {
			return fmt.Errorf("%s: %s: %w", w.File, fieldpath.Path(w.Path), err)
		}
		next[w.File] = out
	}
	for f, b := range next {
		changes[f] = b
	}
	return nil
}

func applyWrite(src []byte, w Write) ([]byte, error) {
	if w.Inline == nil {
		return setYAML(src, w.Doc, w.Path, w.Value, w.Remove)
	}
	f, err := parseYAML(src)
	if err != nil {
		return nil, err
	}
	root, _, err := f.root(w.InlineDoc)
	if err != nil {
		return nil, err
	}
	v, err := decodeNode(root)
	if err != nil {
		return nil, err
	}
	raw, _ := fieldpath.Lookup(v, w.Inline)
	inner, ok := raw.(string)
	if !ok {
		return nil, fmt.Errorf("%w: the inline patch at %s is not a string", errNotPlaceable, fieldpath.Path(w.Inline))
	}
	changed, err := setYAML([]byte(inner), w.Doc, w.Path, w.Value, w.Remove)
	if err != nil {
		return nil, err
	}
	return setYAML(src, w.InlineDoc, w.Inline, string(changed), false)
}
