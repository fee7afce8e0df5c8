package image_test

import (
	"debug/elf"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// goBuild is the Dockerfile's go build command, its variables expanded.
type goBuild struct {
	Env    map[string]string // the command's NAME=value assignments
	Args   []string          // "go", "build", …
	Output string            // the -o path
	Vars   map[string]string // the stage's ARGs as the RUN sees them
}

// dockerGoBuild reads the go build RUN of the Dockerfile as `docker build` with buildArgs (nil
// for none) would run it.
func dockerGoBuild(t *testing.T, df dockerfile, buildArgs map[string]string) goBuild {
	t.Helper()
	st, at := buildStage(t, df)
	run := st.Body[at]
	gb := goBuild{Env: map[string]string{}, Vars: stageArgs(df, st.Body[:at], buildArgs)}
	words := run.Args
	if !run.Exec {
		var err error
		if words, err = shellWords(run.Args[0], gb.Vars); err != nil {
			t.Fatalf("line %d: reading the go build RUN: %v", run.Line, err)
		}
	}
	for len(words) > 0 && strings.Contains(words[0], "=") && isName(strings.SplitN(words[0], "=", 2)[0]) {
		name, v, _ := strings.Cut(words[0], "=")
		gb.Env[name], words = v, words[1:]
	}
	if len(words) < 2 || words[0] != "go" || words[1] != "build" {
		t.Fatalf("line %d: the RUN is not [NAME=value…] go build …: %q", run.Line, words)
	}
	gb.Args = words
	gb.Output = outputFlag(t, words)
	return gb
}

// outputFlag is the value of go build's -o.
func outputFlag(t *testing.T, args []string) string {
	t.Helper()
	for i, a := range args {
		switch {
		case (a == "-o" || a == "--o") && i+1 < len(args):
			return args[i+1]
		case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--o="):
			return a[strings.Index(a, "=")+1:]
		}
	}
	t.Fatalf("the go build has no -o, so where its binary goes is unknown: %q", args)
	return ""
}

// withOutput is args with go build's -o set to out.
func withOutput(args []string, out string) []string {
	args = append([]string(nil), args...)
	for i, a := range args {
		switch {
		case (a == "-o" || a == "--o") && i+1 < len(args):
			args[i+1] = out
		case strings.HasPrefix(a, "-o="), strings.HasPrefix(a, "--o="):
			args[i] = "-o=" + out
		}
	}
	return args
}

// TestDockerfileBuild runs the Dockerfile's go build the way `docker build` would, with the
// ARG defaults and with build args, and checks the binary is static and reports that version.
func TestDockerfileBuild(t *testing.T) {
	df := loadDockerfile(t)
	defaults := dockerGoBuild(t, df, nil).Vars
	for _, name := range []string{"VERSION", "COMMIT"} {
		if _, ok := defaults[name]; !ok {
			t.Fatalf("the build stage declares no ARG %s before its go build", name)
		}
	}
	tests := []struct {
		name      string
		buildArgs map[string]string
	}{
		{"ARG defaults", nil},
		{"build args", map[string]string{"VERSION": "v9.8.7-image-test", "COMMIT": "0123abc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			gb := dockerGoBuild(t, df, tt.buildArgs)
			bin := filepath.Join(t.TempDir(), "driftgate")
			runGoBuild(t, gb, bin)
			checkStatic(t, bin)
			want := func(name string) string {
				if v, ok := tt.buildArgs[name]; ok {
					return v
				}
				return defaults[name]
			}
			checkVersion(t, bin, want("VERSION"), want("COMMIT"))
		})
	}
}

// runGoBuild runs the build from the repository's root with its binary at bin. The build
// context has no .git (.dockerignore), so no VCS information is stamped here either.
func runGoBuild(t *testing.T, gb goBuild, bin string) {
	t.Helper()
	root, err := filepath.Abs(repoRoot)
	if err != nil {
		t.Fatal(err)
	}
	args := withOutput(gb.Args, bin)
	cmd := exec.Command(args[0], args[1:]...)
	cmd.Dir = root
	cmd.Env = append(os.Environ(), "GOFLAGS="+strings.TrimSpace(os.Getenv("GOFLAGS")+" -buildvcs=false"))
	for name, v := range gb.Env {
		cmd.Env = append(cmd.Env, name+"="+v)
	}
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%v in %s: %v\n%s", cmd.Args, root, err, out)
	}
}

// checkStatic checks the binary asks for no dynamic loader and no shared libraries.
func checkStatic(t *testing.T, bin string) {
	t.Helper()
	f, err := elf.Open(bin)
	if err != nil {
		t.Fatalf("reading the built binary as ELF: %v", err)
	}
	defer f.Close()
	for _, p := range f.Progs {
		if p.Type == elf.PT_INTERP || p.Type == elf.PT_DYNAMIC {
			t.Errorf("the binary has a %v program header: it is dynamically linked", p.Type)
		}
	}
	if libs, err := f.ImportedLibraries(); err != nil || len(libs) > 0 {
		t.Errorf("the binary needs shared libraries %q (err %v), want none", libs, err)
	}
	if syms, err := f.ImportedSymbols(); !errors.Is(err, elf.ErrNoSymbols) || len(syms) > 0 {
		t.Errorf("the binary imports %d dynamic symbols (err %v), want no dynamic symbol table", len(syms), err)
	}
}

// checkVersion checks `<bin> version` prints the version and commit (cmd/driftgate/version.go).
func checkVersion(t *testing.T, bin, version, commit string) {
	t.Helper()
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("%s version: %v\n%s", bin, err, out)
	}
	want := []string{"driftgate " + version, "commit: " + commit}
	got := strings.Split(string(out), "\n")
	got = got[:min(2, len(got))]
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("`driftgate version`'s first lines (-want +got):\n%s\nall output:\n%s", diff, out)
	}
}
