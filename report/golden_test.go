package report

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current output")

// TestGolden renders the fixture's report in each text format and compares it with its golden
// file; go test ./report -update rewrites them.
func TestGolden(t *testing.T) {
	r, err := Build(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	open := BuildOpen(fixture(t))
	tests := []struct {
		name   string
		render func(*bytes.Buffer) error
	}{
		{"report.md", func(b *bytes.Buffer) error { return Write(b, Markdown, r) }},
		{"report.json", func(b *bytes.Buffer) error { return Write(b, JSON, r) }},
		{"open.md", func(b *bytes.Buffer) error { return WriteAll(b, Markdown, open) }},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tt.render(&b); err != nil {
				t.Fatal(err)
			}
			checkNoSecrets(t, b.String())
			golden(t, filepath.Join("testdata", tt.name+".golden"), b.String())
		})
	}
}

func golden(t *testing.T, path, got string) {
	t.Helper()
	if *update {
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test ./report -update to create it)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s differs (-want +got); go test ./report -update rewrites it:\n%s", path, diff)
	}
}

func checkNoSecrets(t *testing.T, out string) {
	t.Helper()
	for _, v := range secretValues() {
		if strings.Contains(out, v) {
			t.Errorf("output shows the Secret value %q", v)
		}
	}
}
