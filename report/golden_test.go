package report

import (
	"bytes"
	"flag"
	"path/filepath"
	"strings"
	"testing"

	"github.com/driftgate/driftgate/internal/testutil"
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
			testutil.Golden(t, filepath.Join("testdata", tt.name+".golden"), b.String(), *update, "./report")
		})
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
