package report

import "testing"

func TestMarkdownText(t *testing.T) {
	tests := []struct {
		name, got, want string
	}{
		{"text is inert", mdText("a *b* <i>c</i> [d](e) | f\nnext line"), `a \*b\* \<i\>c\</i\> \[d\](e) \| f next line`},
		{"code", mdCode("spec.replicas"), "`spec.replicas`"},
		{"code with backticks", mdCode("a`b"), "``a`b``"},
		{"code starting with a backtick", mdCode("`a"), "`` `a ``"},
		{"cell", mdCell("`a|b`"), "`a\\|b`"},
		{"empty cell", mdCell(""), " "},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.got != tt.want {
				t.Errorf("got %q, want %q", tt.got, tt.want)
			}
		})
	}
}
