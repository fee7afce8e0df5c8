package image_test

import (
	"os"
	"path"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

const repoRoot = "../.."

var dockerfilePath = repoRoot + "/Dockerfile"

// loadDockerfile parses the repository's Dockerfile.
func loadDockerfile(t *testing.T) dockerfile {
	t.Helper()
	src, err := os.ReadFile(dockerfilePath)
	if err != nil {
		t.Fatalf("reading the Dockerfile: %v", err)
	}
	df, err := parse(string(src))
	if err != nil {
		t.Fatalf("parsing %s: %v", dockerfilePath, err)
	}
	return df
}

// buildStage is the stage with the Dockerfile's one `go build` RUN, and that RUN's index in it.
func buildStage(t *testing.T, df dockerfile) (stage, int) {
	t.Helper()
	var found []stage
	var at int
	for _, st := range df.Stages {
		for i, in := range st.Body {
			if in.Cmd == "RUN" && strings.Contains(strings.Join(in.Args, " "), "go build") {
				found, at = append(found, st), i
			}
		}
	}
	if len(found) != 1 {
		t.Fatalf("%s has %d RUNs with `go build`, want 1", dockerfilePath, len(found))
	}
	return found[0], at
}

// finalStage is the Dockerfile's last stage, the image.
func finalStage(t *testing.T, df dockerfile) stage {
	t.Helper()
	if len(df.Stages) < 2 {
		t.Fatalf("%s has %d stages, want at least 2: a build stage and the image", dockerfilePath, len(df.Stages))
	}
	return df.Stages[len(df.Stages)-1]
}

// goMinor is go.mod's go directive cut to the minor release: "1.26" for "go 1.26.8".
func goMinor(t *testing.T) string {
	t.Helper()
	src, err := os.ReadFile(repoRoot + "/go.mod")
	if err != nil {
		t.Fatalf("reading go.mod: %v", err)
	}
	m := regexp.MustCompile(`(?m)^go (\d+\.\d+)(\.\d+)?\s*$`).FindStringSubmatch(string(src))
	if m == nil {
		t.Fatalf("go.mod has no `go 1.N[.P]` directive")
	}
	return m[1]
}

// splitImage cuts an image reference into repository and tag; the digest is dropped.
func splitImage(ref string) (repo, tag string) {
	ref, _, _ = strings.Cut(ref, "@")
	if i := strings.LastIndex(ref, ":"); i > strings.LastIndex(ref, "/") {
		return ref[:i], ref[i+1:]
	}
	return ref, "latest"
}

func TestDockerfileStages(t *testing.T) {
	df := loadDockerfile(t)
	final := finalStage(t, df)
	build, _ := buildStage(t, df)
	if build.Line == final.Line {
		t.Fatalf("%s builds the binary in the final stage (line %d); want a separate build stage", dockerfilePath, final.Line)
	}
	if final.Platform != "" {
		t.Fatalf("the final stage (line %d) has --platform=%s; the image must be of the target platform", final.Line, final.Platform)
	}
}

func TestDockerfileBaseImages(t *testing.T) {
	df := loadDockerfile(t)
	build, _ := buildStage(t, df)
	final := finalStage(t, df)
	minor := goMinor(t)
	tests := []struct {
		stage     string
		image     string
		repos     []string
		tagOK     func(tag string) bool
		wantWhich string
	}{{
		stage: "build", image: build.Image,
		repos:     []string{"golang", "library/golang", "docker.io/library/golang"},
		tagOK:     func(tag string) bool { return tag == minor || hasPrefixAny(tag, minor+".", minor+"-") },
		wantWhich: "golang:" + minor + " (go.mod's Go minor), or a " + minor + ".x / " + minor + "-variant tag",
	}, {
		stage: "final", image: final.Image,
		repos: []string{"gcr.io/distroless/static", "gcr.io/distroless/static-debian12", "gcr.io/distroless/static-debian13"},
		tagOK: func(tag string) bool {
			parts := strings.Split(tag, "-")
			return slices.Contains(parts, "nonroot") && !slices.Contains(parts, "debug")
		},
		wantWhich: "gcr.io/distroless/static:nonroot (a nonroot tag without debug's shell)",
	}}
	for _, tt := range tests {
		t.Run(tt.stage, func(t *testing.T) {
			repo, tag := splitImage(tt.image)
			if !slices.Contains(tt.repos, repo) || !tt.tagOK(tag) {
				t.Fatalf("the %s stage is FROM %s, want %s", tt.stage, tt.image, tt.wantWhich)
			}
		})
	}
}

func hasPrefixAny(s string, prefixes ...string) bool {
	return slices.ContainsFunc(prefixes, func(p string) bool { return strings.HasPrefix(s, p) })
}

// TestDockerfileModuleCaching checks the build stage's order: the module files, their download,
// then the sources, then the build, so a source change reuses the downloaded modules' layer.
func TestDockerfileModuleCaching(t *testing.T) {
	df := loadDockerfile(t)
	build, _ := buildStage(t, df)
	var got []string
	for _, in := range build.Body {
		if step := cachingStep(in); step != "" {
			got = append(got, step)
		}
	}
	want := []string{"COPY go.mod go.sum", "RUN go mod download", "COPY . .", "RUN go build"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the build stage's steps (-want +got):\n%s", diff)
	}
}

// cachingStep names the instruction when it is one of the steps module caching orders.
func cachingStep(in instruction) string {
	_, from := in.flag("from")
	line := strings.Join(in.Args, " ")
	switch {
	case in.Cmd == "COPY" && !from && len(in.Args) > 1:
		sources := in.Args[:len(in.Args)-1]
		if slices.Contains(sources, "go.mod") && slices.Contains(sources, "go.sum") {
			return "COPY go.mod go.sum"
		}
		if slices.Contains(sources, ".") {
			return "COPY . ."
		}
	case in.Cmd == "RUN" && strings.Contains(line, "go mod download"):
		return "RUN go mod download"
	case in.Cmd == "RUN" && strings.Contains(line, "go build"):
		return "RUN go build"
	}
	return ""
}

func TestDockerfileStaticBuild(t *testing.T) {
	gb := dockerGoBuild(t, loadDockerfile(t), nil)
	if got := gb.Env["CGO_ENABLED"]; got != "0" {
		t.Fatalf("the go build RUN sets CGO_ENABLED=%q, want CGO_ENABLED=0 for a static binary (env %v)", got, gb.Env)
	}
}

// TestDockerfileCrossBuild checks that a build stage on the builder's platform builds for the
// target's: it sets GOOS and GOARCH from TARGETOS and TARGETARCH.
func TestDockerfileCrossBuild(t *testing.T) {
	df := loadDockerfile(t)
	build, _ := buildStage(t, df)
	if build.Platform == "" {
		return // built on the target's platform: Go builds for it by default
	}
	target := map[string]string{"TARGETOS": "freebsd", "TARGETARCH": "riscv64"}
	gb := dockerGoBuild(t, df, target)
	got := map[string]string{"GOOS": gb.Env["GOOS"], "GOARCH": gb.Env["GOARCH"]}
	want := map[string]string{"GOOS": "freebsd", "GOARCH": "riscv64"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Fatalf("the build stage runs on --platform=%s, but its go build does not build for TARGETOS/TARGETARCH (-want +got):\n%s", build.Platform, diff)
	}
}

// finalRules are the final stage's rules: each returns what breaks it.
var finalRules = []struct {
	name string
	rule func(st stage, build string) []string
}{
	{"USER is 65532", func(st stage, _ string) []string {
		users := instructionsOf(st, "USER")
		if len(users) == 0 {
			return []string{"no USER"}
		}
		if u := users[len(users)-1]; !slices.Contains([]string{"65532", "65532:65532"}, strings.Join(u.Args, " ")) {
			return []string{"line " + strconv.Itoa(u.Line) + ": USER " + strings.Join(u.Args, " ") + ", want 65532 or 65532:65532"}
		}
		return nil
	}},
	{"an exec-form ENTRYPOINT", func(st stage, _ string) []string {
		eps := instructionsOf(st, "ENTRYPOINT")
		if len(eps) == 0 {
			return []string{"no ENTRYPOINT"}
		}
		if last := eps[len(eps)-1]; !last.Exec || len(last.Args) == 0 {
			return lines(eps[len(eps)-1:])
		}
		return nil
	}},
	{"no shell form (the image has no shell)", func(st stage, _ string) []string {
		var bad []instruction
		for _, in := range st.Body {
			if slices.Contains(commandLines, in.Cmd) && !in.Exec {
				bad = append(bad, in)
			}
		}
		return lines(bad)
	}},
	{"no RUN (the image has no shell)", func(st stage, _ string) []string {
		return lines(instructionsOf(st, "RUN"))
	}},
	{"no ADD", func(st stage, _ string) []string {
		return lines(instructionsOf(st, "ADD"))
	}},
	{"COPY only from the build stage", func(st stage, build string) []string {
		var bad []string
		for _, in := range instructionsOf(st, "COPY") {
			if from, _ := in.flag("from"); from != build {
				bad = append(bad, "line "+strconv.Itoa(in.Line)+": COPY --from="+from+", want --from="+build)
			}
		}
		return bad
	}},
}

func TestDockerfileFinalStage(t *testing.T) {
	df := loadDockerfile(t)
	final := finalStage(t, df)
	build, _ := buildStage(t, df)
	ref := build.Name
	if ref == "" {
		ref = strconv.Itoa(slices.IndexFunc(df.Stages, func(st stage) bool { return st.Line == build.Line }))
	}
	for _, r := range finalRules {
		t.Run(r.name, func(t *testing.T) {
			if bad := r.rule(final, ref); len(bad) > 0 {
				t.Fatalf("the final stage (line %d) breaks %q:\n%s", final.Line, r.name, strings.Join(bad, "\n"))
			}
		})
	}
}

// TestDockerfileBinaryPath checks that the image runs the binary the build stage builds: the
// final stage copies go build's -o output, and the ENTRYPOINT runs the copy.
func TestDockerfileBinaryPath(t *testing.T) {
	df := loadDockerfile(t)
	gb := dockerGoBuild(t, df, nil)
	copies := instructionsOf(finalStage(t, df), "COPY")
	eps := instructionsOf(finalStage(t, df), "ENTRYPOINT")
	if len(copies) != 1 || len(copies[0].Args) != 2 || len(eps) == 0 || len(eps[len(eps)-1].Args) == 0 {
		t.Fatalf("want the final stage to COPY one file and have an ENTRYPOINT; it has %d COPYs and %d ENTRYPOINTs", len(copies), len(eps))
	}
	src, dst := copies[0].Args[0], copies[0].Args[1]
	if strings.HasSuffix(dst, "/") {
		dst += path.Base(src)
	}
	if src != gb.Output {
		t.Errorf("line %d: the final stage copies %s, but go build writes %s", copies[0].Line, src, gb.Output)
	}
	if ep := eps[len(eps)-1]; ep.Args[0] != dst {
		t.Errorf("line %d: the ENTRYPOINT runs %s, but the binary is copied to %s", ep.Line, ep.Args[0], dst)
	}
}

// TestDockerfileNoRemoteADD checks that nothing is fetched by ADD: sources come from the
// context or a stage, and modules through go mod download's checksums.
func TestDockerfileNoRemoteADD(t *testing.T) {
	for _, st := range loadDockerfile(t).Stages {
		for _, in := range instructionsOf(st, "ADD") {
			for _, src := range in.Args[:max(len(in.Args)-1, 0)] {
				if hasPrefixAny(strings.ToLower(src), "http://", "https://", "git@", "git://", "ssh://") {
					t.Errorf("line %d: ADD of the remote %s", in.Line, src)
				}
			}
		}
	}
}

func instructionsOf(st stage, cmd string) []instruction {
	var out []instruction
	for _, in := range st.Body {
		if in.Cmd == cmd {
			out = append(out, in)
		}
	}
	return out
}

func lines(ins []instruction) []string {
	var out []string
	for _, in := range ins {
		out = append(out, "line "+strconv.Itoa(in.Line)+": "+in.Cmd+" "+strings.Join(in.Args, " "))
	}
	return out
}

// platformArgs are the values BuildKit gives the automatic platform ARGs: the image is Linux,
// built here for this machine's architecture.
var platformArgs = map[string]string{
	"TARGETOS": "linux", "TARGETARCH": runtime.GOARCH, "TARGETPLATFORM": "linux/" + runtime.GOARCH,
	"BUILDOS": runtime.GOOS, "BUILDARCH": runtime.GOARCH, "BUILDPLATFORM": runtime.GOOS + "/" + runtime.GOARCH,
}

// stageArgs is the value of every ARG in ins as a RUN after them sees it: a build arg, else the
// ARG's default, else the global ARG's value, else the automatic platform value.
func stageArgs(df dockerfile, ins []instruction, buildArgs map[string]string) map[string]string {
	global := map[string]string{}
	for _, in := range df.Args {
		for _, d := range argDecls(in) {
			global[d.name] = d.def
			if v, ok := buildArgs[d.name]; ok {
				global[d.name] = v
			}
		}
	}
	vals := map[string]string{}
	for _, in := range instructionsOf(stage{Body: ins}, "ARG") {
		for _, d := range argDecls(in) {
			v, ok := buildArgs[d.name]
			switch {
			case ok:
			case d.hasDef:
				v = d.def
			default:
				if v, ok = global[d.name]; !ok {
					v = platformArgs[d.name]
				}
			}
			vals[d.name] = v
		}
	}
	return vals
}

type argDecl struct {
	name, def string
	hasDef    bool
}

// argDecls reads `ARG NAME[=default] …`.
func argDecls(in instruction) []argDecl {
	var out []argDecl
	for _, a := range in.Args {
		name, def, ok := strings.Cut(a, "=")
		out = append(out, argDecl{name: name, def: strings.Trim(def, `"'`), hasDef: ok})
	}
	return out
}
