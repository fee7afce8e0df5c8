package image_test

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParse(t *testing.T) {
	tests := []struct {
		name string
		src  string
		want dockerfile
	}{{
		name: "directives, global ARG, AS name, --platform, --from",
		src: "# syntax=docker/dockerfile:1\n# ESCAPE = \\\nARG V=1\n\nFROM --platform=$BUILDPLATFORM golang:1.26 as Build\n" +
			"COPY --from=build --chmod=0755 a b\n",
		want: dockerfile{
			Directives: map[string]string{"syntax": "docker/dockerfile:1", "escape": `\`},
			Args:       []instruction{{Line: 3, Cmd: "ARG", Args: []string{"V=1"}}},
			Stages: []stage{{Line: 5, Image: "golang:1.26", Name: "build", Platform: "$BUILDPLATFORM", Body: []instruction{
				{Line: 6, Cmd: "COPY", Flags: []string{"from=build", "chmod=0755"}, Args: []string{"a", "b"}},
			}}},
		},
	}, {
		name: "a directive after a comment is a comment",
		src:  "# hello\n# escape=`\nFROM scratch\n",
		want: dockerfile{Directives: map[string]string{"escape": `\`}, Stages: []stage{{Line: 3, Image: "scratch"}}},
	}, {
		name: "continuations join; comments and blank lines inside are dropped",
		src:  "FROM a\nrun echo \\\n  # note\n\n  one \\  \n  two\n",
		want: dockerfile{Directives: map[string]string{"escape": `\`}, Stages: []stage{{Line: 1, Image: "a", Body: []instruction{
			{Line: 2, Cmd: "RUN", Args: []string{"echo   one   two"}},
		}}}},
	}, {
		name: "escape directive: backtick continues, backslash is literal",
		src:  "# escape=`\nFROM a\nRUN dir C:\\ `\n  /s\n",
		want: dockerfile{Directives: map[string]string{"escape": "`"}, Stages: []stage{{Line: 2, Image: "a", Body: []instruction{
			{Line: 3, Cmd: "RUN", Args: []string{`dir C:\   /s`}},
		}}}},
	}, {
		name: "exec and shell forms; a malformed array is the shell form",
		src:  "FROM a\nENTRYPOINT [\"/bin\", \"x y\"]\nCMD [\"serve\"\nUSER  65532:65532 \nCMD []\n",
		want: dockerfile{Directives: map[string]string{"escape": `\`}, Stages: []stage{{Line: 1, Image: "a", Body: []instruction{
			{Line: 2, Cmd: "ENTRYPOINT", Args: []string{"/bin", "x y"}, Exec: true},
			{Line: 3, Cmd: "CMD", Args: []string{`["serve"`}},
			{Line: 4, Cmd: "USER", Args: []string{"65532:65532"}},
			{Line: 5, Cmd: "CMD", Args: []string{}, Exec: true},
		}}}},
	}, {
		name: "two stages",
		src:  "FROM a AS one\nFROM b\nCOPY --from=one /x /y\n",
		want: dockerfile{Directives: map[string]string{"escape": `\`}, Stages: []stage{
			{Line: 1, Image: "a", Name: "one"},
			{Line: 2, Image: "b", Body: []instruction{{Line: 3, Cmd: "COPY", Flags: []string{"from=one"}, Args: []string{"/x", "/y"}}}},
		}},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.src)
			if err != nil {
				t.Fatalf("parse(%q): %v", tt.src, err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Fatalf("parse(%q) (-want +got):\n%s", tt.src, diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, src, wantErr string
	}{
		{"empty", "", "no FROM"},
		{"only comments", "# syntax=x\n# hello\n", "no FROM"},
		{"unknown instruction", "FROM a\nRUNN x\n", `line 2: unknown instruction "RUNN"`},
		{"no arguments", "FROM a\nRUN\n", "line 2: RUN has no arguments"},
		{"only flags", "FROM a\nCOPY --from=b\n", "line 2: COPY has no arguments"},
		{"flag without a name", "FROM a\nCOPY -- x y\n", "line 2: COPY has a flag with no name"},
		{"instruction before FROM", "ARG A\nRUN x\nFROM a\n", "line 2: RUN before the first FROM"},
		{"FROM with extra words", "FROM a b\n", `line 1: FROM wants an image and an optional AS name, not "a b"`},
		{"FROM AS without a name", "FROM a AS\n", "line 1: FROM wants an image"},
		{"continuation at the end", "FROM a\nRUN x \\\n", "line 2: the instruction continues past the end of the file"},
		{"bad escape", "# escape=x\nFROM a\n", "line 1: escape must be"},
		{"second directive", "# escape=`\n# escape=\\\nFROM a\n", "line 2: a second escape directive"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parse(tt.src)
			if err == nil {
				t.Fatalf("parse(%q) = %+v, want an error with %q", tt.src, got, tt.wantErr)
			}
			if !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("parse(%q) error = %q, want it to contain %q", tt.src, err, tt.wantErr)
			}
		})
	}
}

func TestShellWords(t *testing.T) {
	vars := map[string]string{"V": "1.0", "EMPTY": "", "A_1": "x y"}
	tests := []struct {
		line    string
		want    []string
		wantErr string
	}{
		{line: "CGO_ENABLED=0 go build ./cmd", want: []string{"CGO_ENABLED=0", "go", "build", "./cmd"}},
		{line: `go build -ldflags "-s -X main.v=${V}" -o /out/x`, want: []string{"go", "build", "-ldflags", "-s -X main.v=1.0", "-o", "/out/x"}},
		{line: `a '$V "q"' "\$V \x" $A_1`, want: []string{"a", `$V "q"`, `$V \x`, "x", "y"}},
		{line: `a "$A_1" b$EMPTY`, want: []string{"a", "x y", "b"}},
		{line: `a "" $EMPTY ''`, want: []string{"a", "", ""}},
		{line: `a\ b $ c#d`, want: []string{"a b", "$", "c#d"}},
		{line: "a # comment", wantErr: `'#'`},
		{line: "go mod download && go build", wantErr: `'&'`},
		{line: "a; b", wantErr: `';'`},
		{line: "a $(date)", wantErr: "command substitution"},
		{line: "a `date`", wantErr: "'`'"},
		{line: "a ${V:-x}", wantErr: "only ${NAME}"},
		{line: "a ${V", wantErr: "unterminated ${"},
		{line: "a $NOPE", wantErr: "$NOPE is no ARG"},
		{line: `a "b`, wantErr: "unterminated \" quote"},
		{line: `a \`, wantErr: "a backslash ends"},
	}
	for _, tt := range tests {
		got, err := shellWords(tt.line, vars)
		switch {
		case tt.wantErr == "" && err != nil:
			t.Errorf("shellWords(%q): %v", tt.line, err)
		case tt.wantErr == "":
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("shellWords(%q) (-want +got):\n%s", tt.line, diff)
			}
		case err == nil || !strings.Contains(err.Error(), tt.wantErr):
			t.Errorf("shellWords(%q) = %q, %v; want an error with %q", tt.line, got, err, tt.wantErr)
		}
	}
}
