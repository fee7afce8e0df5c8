package audit

import (
	"testing"
)

// parseOne parses exactly one object from YAML.
func parseOne(t testing.TB, name, y string) Object {
	t.Helper()
	objs, err := Parse(name, []byte(y))
	if err != nil {
		t.Fatalf("parsing %s: %v", name, err)
	}
	if len(objs) != 1 {
		t.Fatalf("parsing %s: %d objects, want 1", name, len(objs))
	}
	return objs[0]
}

func newTestDiffer(t testing.TB, mutate func(*Options)) *Differ {
	t.Helper()
	opts := DefaultOptions()
	if mutate != nil {
		mutate(&opts)
	}
	d, err := New(opts)
	if err != nil {
		t.Fatalf("New: %v", err)
	}
	return d
}

// diffYAML diffs one desired object with its live copy.
func diffYAML(t testing.TB, d *Differ, desired, live string) ObjectReport {
	t.Helper()
	r, err := d.DiffObject(parseOne(t, "desired", desired), parseOne(t, "live", live))
	if err != nil {
		t.Fatalf("DiffObject: %v", err)
	}
	return r
}

func paths(fields []Field) []string {
	out := []string{}
	for _, f := range fields {
		out = append(out, f.Path)
	}
	return out
}
