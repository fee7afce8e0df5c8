package image_test

import (
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

// dockerfile is a parsed Dockerfile.
type dockerfile struct {
	Directives map[string]string // parser directives, names in lower case
	Args       []instruction     // the ARGs before the first FROM
	Stages     []stage
}

// stage is one FROM and the instructions up to the next.
type stage struct {
	Line     int    // the FROM's line
	Image    string // as written, unexpanded
	Name     string // the AS name in lower case; "" when none
	Platform string // FROM's --platform, unexpanded
	Body     []instruction
}

// instruction is one instruction, its line continuations joined.
type instruction struct {
	Line  int      // where it starts, from 1
	Cmd   string   // upper case: RUN, COPY, …
	Flags []string // the leading --name[=value] flags without the dashes, e.g. "from=build"
	Args  []string // exec form: the JSON array; shell form of RUN, CMD, ENTRYPOINT: the command line; otherwise the words
	Exec  bool     // the arguments were a JSON array
}

// flag is the value of the instruction's first --name flag.
func (in instruction) flag(name string) (string, bool) {
	for _, f := range in.Flags {
		if n, v, _ := strings.Cut(f, "="); n == name {
			return v, true
		}
	}
	return "", false
}

var (
	instructions = strings.Fields("FROM RUN CMD LABEL MAINTAINER EXPOSE ENV ADD COPY ENTRYPOINT VOLUME USER WORKDIR ARG ONBUILD STOPSIGNAL HEALTHCHECK SHELL")
	// commandLines are the instructions whose shell form is one command line, not words.
	commandLines  = []string{"RUN", "CMD", "ENTRYPOINT"}
	jsonForms     = []string{"RUN", "CMD", "ENTRYPOINT", "SHELL", "COPY", "ADD", "VOLUME"}
	directiveLine = regexp.MustCompile(`^#\s*(?i:(syntax|escape|check))\s*=\s*(.*?)\s*$`)
)

// parse parses a Dockerfile as BuildKit does, as far as these tests need: it is stricter where
// BuildKit only warns (a continuation running past the end of the file).
func parse(src string) (dockerfile, error) {
	lines := strings.Split(strings.ReplaceAll(src, "\r\n", "\n"), "\n")
	directives, n, err := readDirectives(lines)
	if err != nil {
		return dockerfile{}, err
	}
	logical, err := joinLines(lines, n, directives["escape"])
	if err != nil {
		return dockerfile{}, err
	}
	df := dockerfile{Directives: directives}
	for _, l := range logical {
		in, err := parseInstruction(l.line, l.text)
		if err != nil {
			return dockerfile{}, err
		}
		if err := df.add(in); err != nil {
			return dockerfile{}, err
		}
	}
	if len(df.Stages) == 0 {
		return dockerfile{}, fmt.Errorf("no FROM")
	}
	return df, nil
}

// readDirectives reads the parser directives at the top and says how many lines they take.
func readDirectives(lines []string) (map[string]string, int, error) {
	directives := map[string]string{"escape": `\`}
	seen := map[string]bool{}
	n := 0
	for ; n < len(lines); n++ {
		m := directiveLine.FindStringSubmatch(lines[n])
		if m == nil {
			break
		}
		name, value := strings.ToLower(m[1]), m[2]
		if seen[name] {
			return nil, 0, fmt.Errorf("line %d: a second %s directive", n+1, name)
		}
		if name == "escape" && value != `\` && value != "`" {
			return nil, 0, fmt.Errorf("line %d: escape must be \\ or `, not %q", n+1, value)
		}
		seen[name], directives[name] = true, value
	}
	return directives, n, nil
}

type logicalLine struct {
	line int
	text string
}

// joinLines drops comments and blank lines, also inside a continued instruction, and joins
// each line that ends with the escape character to the next.
func joinLines(lines []string, from int, escape string) ([]logicalLine, error) {
	var out []logicalLine
	var cur strings.Builder
	start := 0
	for i := from; i < len(lines); i++ {
		trimmed := strings.TrimSpace(lines[i])
		if trimmed == "" || strings.HasPrefix(trimmed, "#") {
			continue
		}
		if start == 0 {
			start = i + 1
		}
		body := strings.TrimRightFunc(lines[i], unicode.IsSpace)
		if strings.HasSuffix(body, escape) {
			cur.WriteString(strings.TrimSuffix(body, escape))
			continue
		}
		cur.WriteString(body)
		out = append(out, logicalLine{start, strings.TrimSpace(cur.String())})
		cur.Reset()
		start = 0
	}
	if start != 0 {
		return nil, fmt.Errorf("line %d: the instruction continues past the end of the file", start)
	}
	return out, nil
}

// parseInstruction parses one joined instruction.
func parseInstruction(line int, text string) (instruction, error) {
	word, rest := cutWord(text)
	in := instruction{Line: line, Cmd: strings.ToUpper(word)}
	if !slices.Contains(instructions, in.Cmd) {
		return instruction{}, fmt.Errorf("line %d: unknown instruction %q", line, word)
	}
	for strings.HasPrefix(rest, "--") {
		word, rest = cutWord(rest)
		if f := strings.TrimPrefix(word, "--"); f == "" || f[0] == '=' {
			return instruction{}, fmt.Errorf("line %d: %s has a flag with no name: %q", line, in.Cmd, word)
		}
		in.Flags = append(in.Flags, strings.TrimPrefix(word, "--"))
	}
	if rest == "" {
		return instruction{}, fmt.Errorf("line %d: %s has no arguments", line, in.Cmd)
	}
	in.Args, in.Exec = arguments(in.Cmd, rest)
	return in, nil
}

// arguments reads an instruction's arguments: a JSON array of strings is the exec form;
// anything else, a malformed array included, is the shell form, as in BuildKit.
func arguments(cmd, rest string) ([]string, bool) {
	var exec []string
	if slices.Contains(jsonForms, cmd) && strings.HasPrefix(rest, "[") && json.Unmarshal([]byte(rest), &exec) == nil && exec != nil {
		return exec, true
	}
	if slices.Contains(commandLines, cmd) {
		return []string{rest}, false
	}
	return strings.Fields(rest), false
}

// add adds an instruction to the last stage, or starts a stage.
func (df *dockerfile) add(in instruction) error {
	switch {
	case in.Cmd == "FROM":
		st, err := newStage(in)
		df.Stages = append(df.Stages, st)
		return err
	case len(df.Stages) > 0:
		last := &df.Stages[len(df.Stages)-1]
		last.Body = append(last.Body, in)
	case in.Cmd == "ARG":
		df.Args = append(df.Args, in)
	default:
		return fmt.Errorf("line %d: %s before the first FROM", in.Line, in.Cmd)
	}
	return nil
}

// newStage reads `FROM [--platform=…] image [AS name]`.
func newStage(in instruction) (stage, error) {
	st := stage{Line: in.Line, Image: in.Args[0]}
	st.Platform, _ = in.flag("platform")
	switch {
	case len(in.Args) == 3 && strings.EqualFold(in.Args[1], "AS"):
		st.Name = strings.ToLower(in.Args[2])
	case len(in.Args) != 1:
		return st, fmt.Errorf("line %d: FROM wants an image and an optional AS name, not %q", in.Line, strings.Join(in.Args, " "))
	}
	return st, nil
}

// cutWord cuts s at its first run of white space.
func cutWord(s string) (word, rest string) {
	s = strings.TrimSpace(s)
	i := strings.IndexFunc(s, unicode.IsSpace)
	if i < 0 {
		return s, ""
	}
	return s[:i], strings.TrimSpace(s[i:])
}
