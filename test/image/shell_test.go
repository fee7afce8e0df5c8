package image_test

import (
	"fmt"
	"strings"
	"unicode"
)

// shellWords splits a RUN command line into words as sh would, expanding $NAME and ${NAME} from
// vars. It understands a single simple command only: operators, command substitution and
// ${NAME:-…} forms are errors, and so is a variable missing from vars. As in sh, an unquoted
// value is split at white space.
func shellWords(line string, vars map[string]string) ([]string, error) {
	var words []string
	var cur strings.Builder
	inWord, quote := false, rune(0)
	endWord := func() {
		if inWord {
			words = append(words, cur.String())
		}
		cur.Reset()
		inWord = false
	}
	rs := []rune(line)
	for i := 0; i < len(rs); i++ {
		r := rs[i]
		switch {
		case quote == '\'' && r == '\'':
			quote = 0
		case quote == '\'':
			cur.WriteRune(r)
		case r == '$':
			v, n, err := expand(rs[i+1:], vars)
			if err != nil {
				return nil, err
			}
			i += n
			for _, c := range v {
				if quote == 0 && unicode.IsSpace(c) { // unquoted, a value is split into words
					endWord()
					continue
				}
				cur.WriteRune(c)
				inWord = true
			}
		case r == '\\':
			if i+1 == len(rs) {
				return nil, fmt.Errorf("a backslash ends %q", line)
			}
			if quote == '"' && !strings.ContainsRune("$`\"\\", rs[i+1]) {
				cur.WriteRune(r)
			}
			cur.WriteRune(rs[i+1])
			i, inWord = i+1, true
		case quote == '"' && r == '"':
			quote = 0
		case r == '`' || quote == 0 && (strings.ContainsRune(";&|<>()", r) || r == '#' && !inWord):
			return nil, fmt.Errorf("%q in %q: only a single simple command is understood", r, line)
		case quote == '"':
			cur.WriteRune(r)
		case r == '"' || r == '\'':
			quote, inWord = r, true
		case unicode.IsSpace(r):
			endWord()
		default:
			cur.WriteRune(r)
			inWord = true
		}
	}
	if quote != 0 {
		return nil, fmt.Errorf("unterminated %c quote in %q", quote, line)
	}
	endWord()
	return words, nil
}

// expand expands the variable after a $: rest is what follows the $. It returns the value and
// how many runes of rest it took. A $ that starts no name stays a $.
func expand(rest []rune, vars map[string]string) (string, int, error) {
	name, n := "", 0
	switch {
	case len(rest) > 0 && rest[0] == '{':
		end := strings.IndexRune(string(rest), '}')
		if end < 0 {
			return "", 0, fmt.Errorf("unterminated ${")
		}
		name, n = string(rest[1:end]), end+1
		if !isName(name) {
			return "", 0, fmt.Errorf("${%s}: only ${NAME} is understood", name)
		}
	case len(rest) > 0 && rest[0] == '(':
		return "", 0, fmt.Errorf("$(…): command substitution is not understood")
	default:
		for n < len(rest) && isName(string(rest[:n+1])) {
			n++
		}
		if n == 0 {
			return "$", 0, nil
		}
		name = string(rest[:n])
	}
	v, ok := vars[name]
	if !ok {
		return "", 0, fmt.Errorf("$%s is no ARG of the stage", name)
	}
	return v, n, nil
}

// isName reports whether s is a shell variable name.
func isName(s string) bool {
	for i, r := range s {
		if r != '_' && !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || i > 0 && '0' <= r && r <= '9') {
			return false
		}
	}
	return s != ""
}
