package main

import (
	"fmt"
	"strconv"
	"unicode/utf16"
	"unicode/utf8"
)

// printable is s as it is safe to show on a terminal: printable runes (strconv.IsPrint: letters,
// marks, numbers, punctuation, symbols and the ASCII space) as they are, and everything else
// escaped as in a Go string literal: \n, \r, \t, \b, \x1b, \u009b, \u202e, and \xff for a byte of
// invalid UTF-8. A backslash is written \\, so the text reads back unambiguously. The breakglass
// commands print every text a requester or approver controls (names, reasons, tickets, comments,
// messages) through it, so no control character, ANSI escape or bidirectional override in a grant
// can move the cursor, recolor, hide or forge a line on the approver's terminal.
func printable(s string) string {
	i := 0
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		if r == '\\' || !isPrint(r, size) {
			break
		}
		i += size
	}
	if i == len(s) {
		return s
	}
	out := make([]byte, 0, len(s)+8)
	out = append(out, s[:i]...)
	for i < len(s) {
		r, size := utf8.DecodeRuneInString(s[i:])
		switch {
		case r == '\\':
			out = append(out, `\\`...)
		case isPrint(r, size):
			out = append(out, s[i:i+size]...)
		case size == 1 && r == utf8.RuneError:
			out = fmt.Appendf(out, `\x%02x`, s[i])
		default:
			q := strconv.QuoteRune(r) // '\x1b', '\n', '\u202e'
			out = append(out, q[1:len(q)-1]...)
		}
		i += size
	}
	return string(out)
}

// isPrint reports whether the rune r, size bytes long in its text, is printable: a byte of
// invalid UTF-8 (decoded as utf8.RuneError, 1 byte) is not.
func isPrint(r rune, size int) bool {
	return strconv.IsPrint(r) && (r != utf8.RuneError || size > 1)
}

// escapeJSON writes every rune of JSON text that is not printable (isPrint; the newlines of
// indentation excepted) as a \u escape, which JSON decodes to the same rune: json.Marshal escapes
// the C0 controls but writes DEL, the C1 controls (U+009B is CSI) and bidirectional overrides as
// they are. Outside its strings JSON text has only printable ASCII and whitespace, so every rune
// escaped here is inside a string. The YAML made from the result parses (yaml refuses raw C1
// controls and DEL), and its emitter escapes control characters again.
func escapeJSON(raw []byte) []byte {
	var out []byte // nil until a rune needs escaping
	for i := 0; i < len(raw); {
		r, size := utf8.DecodeRune(raw[i:])
		switch {
		case r == '\n' || isPrint(r, size):
			if out != nil {
				out = append(out, raw[i:i+size]...)
			}
			i += size
			continue
		case out == nil:
			out = append(make([]byte, 0, len(raw)+16), raw[:i]...)
		}
		if r1, r2 := utf16.EncodeRune(r); r1 != utf8.RuneError {
			out = fmt.Appendf(out, `\u%04x\u%04x`, r1, r2)
		} else {
			out = fmt.Appendf(out, `\u%04x`, r) // a byte of invalid UTF-8 (json.Marshal writes none) as U+FFFD
		}
		i += size
	}
	if out == nil {
		return raw
	}
	return out
}
