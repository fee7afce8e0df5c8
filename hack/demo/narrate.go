package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"strings"
)

// ANSI styles, used only when the output is a terminal.
const (
	styleTitle   = "\033[1;36m"
	styleCommand = "\033[1m"
	styleDim     = "\033[2m"
	styleGood    = "\033[32m"
	styleBad     = "\033[1;31m"
	styleReset   = "\033[0m"
)

// Indents of the narration: sentences under a step title, and a command's output.
const (
	textIndent   = "   "
	outputIndent = "     "
)

// narrator tells the story: a numbered title per step, plain sentences, each command as
// `$ command`, then its output indented.
type narrator struct {
	out    io.Writer
	colour bool
	step   int
}

func newNarrator(out io.Writer, colour bool) *narrator {
	return &narrator{out: out, colour: colour}
}

// isTerminal reports whether w is a terminal (and NO_COLOR is not set).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok || os.Getenv("NO_COLOR") != "" {
		return false
	}
	info, err := f.Stat()
	return err == nil && info.Mode()&os.ModeCharDevice != 0
}

func (n *narrator) paint(style, text string) string {
	if !n.colour {
		return text
	}
	return style + text + styleReset
}

// title starts the next numbered step.
func (n *narrator) title(text string) {
	n.step++
	fmt.Fprintf(n.out, "\n%s\n", n.paint(styleTitle, fmt.Sprintf("%d. %s", n.step, text)))
}

// say writes a plain sentence under the current step.
func (n *narrator) say(format string, args ...any) {
	fmt.Fprintf(n.out, "%s%s\n", textIndent, fmt.Sprintf(format, args...))
}

// command shows a command line as it is run; note, when set, follows it as a shell comment.
func (n *narrator) command(line, note string) {
	if note != "" {
		note = n.paint(styleDim, "   # "+note)
	}
	fmt.Fprintf(n.out, "%s%s%s\n", textIndent, n.paint(styleCommand, "$ "+line), note)
}

// waiting says what the demo waits for.
func (n *narrator) waiting(what string) {
	fmt.Fprintf(n.out, "%s%s\n", textIndent, n.paint(styleDim, "… waiting until "+what))
}

// good states an outcome the story expects.
func (n *narrator) good(format string, args ...any) {
	fmt.Fprintf(n.out, "%s%s\n", textIndent, n.paint(styleGood, "✓ "+fmt.Sprintf(format, args...)))
}

// bad states a failure.
func (n *narrator) bad(format string, args ...any) {
	fmt.Fprintf(n.out, "%s%s\n", textIndent, n.paint(styleBad, "✗ "+fmt.Sprintf(format, args...)))
}

// output writes text indented, as a command's output.
func (n *narrator) output(text string) {
	w := n.outputWriter(nil)
	_, _ = io.WriteString(w, text)
	w.Flush()
}

// outputWriter indents what is written to it, line by line, as it arrives. Once hide returns
// true for a line, that line and the rest are not shown.
func (n *narrator) outputWriter(hide func(line string) bool) *lineWriter {
	return &lineWriter{out: n.out, hide: hide}
}

// lineWriter writes complete lines, indented, to out.
type lineWriter struct {
	out    io.Writer
	hide   func(line string) bool
	hidden bool
	buf    bytes.Buffer
}

func (w *lineWriter) Write(p []byte) (int, error) {
	w.buf.Write(p)
	for {
		line, err := w.buf.ReadString('\n')
		if err != nil { // no newline yet: keep the partial line for later
			w.buf.Reset()
			w.buf.WriteString(line)
			return len(p), nil
		}
		w.emit(strings.TrimSuffix(line, "\n"))
	}
}

// Flush writes a last line that had no newline.
func (w *lineWriter) Flush() {
	if w.buf.Len() > 0 {
		w.emit(w.buf.String())
		w.buf.Reset()
	}
}

func (w *lineWriter) emit(line string) {
	if w.hide != nil && !w.hidden && w.hide(line) {
		w.hidden = true
	}
	switch {
	case w.hidden:
	case strings.TrimSpace(line) == "":
		fmt.Fprintln(w.out)
	default:
		fmt.Fprintf(w.out, "%s%s\n", outputIndent, line)
	}
}
