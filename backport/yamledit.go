package backport

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	kyaml "sigs.k8s.io/kustomize/kyaml/yaml"

	"github.com/driftgate/driftgate/internal/fieldpath"
)

// The YAML editor changes a file the way a person would: it finds the node a path names with
// yaml.v3 (through kyaml), then replaces, inserts or deletes only the lines (or, for a scalar, the
// characters) of that node in the original text. Everything else, comments, blank lines, key
// order, quoting and indentation included, stays byte for byte. A value is rendered by the YAML
// encoder with the file's indentation and sequence style.

// errNotPlaceable marks an edit the file cannot take (an item the path goes through is not in the
// file, a YAML alias, a node of another kind): the reason is said, nothing is guessed.
var errNotPlaceable = errors.New("cannot place the value")

// yamlFile is one YAML file being edited: its lines and its documents.
type yamlFile struct {
	lines      []string // without their "\n"
	finalNL    bool
	docs       []*kyaml.Node // document nodes
	seqCompact bool          // sequences written at their key's indentation ("- " under "key:")
}

func parseYAML(src []byte) (*yamlFile, error) {
	f := &yamlFile{finalNL: len(src) == 0 || src[len(src)-1] == '\n'}
	text := strings.TrimSuffix(string(src), "\n")
	f.lines = strings.Split(text, "\n")
	dec := kyaml.NewDecoder(bytes.NewReader(src))
	for {
		var n kyaml.Node
		err := dec.Decode(&n)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parsing YAML: %w", err)
		}
		f.docs = append(f.docs, &n)
	}
	f.seqCompact = kyaml.DeriveSeqIndentStyle(string(src)) == string(kyaml.CompactSequenceStyle)
	return f, nil
}

func (f *yamlFile) bytes() []byte {
	s := strings.Join(f.lines, "\n")
	if f.finalNL {
		s += "\n"
	}
	return []byte(s)
}

// root is the top node of document i and the last line (0-based) the document may use.
func (f *yamlFile) root(i int) (*kyaml.Node, int, error) {
	if i < 0 || i >= len(f.docs) || len(f.docs[i].Content) == 0 {
		return nil, 0, fmt.Errorf("document %d is not in the file", i+1)
	}
	n := f.docs[i].Content[0]
	end := len(f.lines) - 1
	for l := n.Line; l < len(f.lines); l++ { // n.Line is 1-based: this starts on the next line
		if strings.HasPrefix(f.lines[l], "---") || strings.HasPrefix(f.lines[l], "...") {
			end = l - 1
			break
		}
	}
	return n, end, nil
}

// setYAML writes value at path in document doc of src, or removes what is there when remove is
// set, and returns the new text. Where the path is already absent, removing changes nothing.
func setYAML(src []byte, doc int, path []fieldpath.Segment, value any, remove bool) ([]byte, error) {
	f, err := parseYAML(src)
	if err != nil {
		return nil, err
	}
	root, end, err := f.root(doc)
	if err != nil {
		return nil, err
	}
	if err := f.set(root, end, path, value, remove); err != nil {
		return nil, err
	}
	return f.bytes(), nil
}

// entry is the key/value pair a walk came through: the place a flow collection or a null value
// below it is rewritten.
type entry struct {
	key, value *kyaml.Node
	end        int
}

func (f *yamlFile) set(cur *kyaml.Node, end int, path []fieldpath.Segment, value any, remove bool) error {
	var parent *entry
	for i, seg := range path {
		last := i == len(path)-1
		rest := path[i:]
		if cur.Kind == kyaml.AliasNode || cur.Anchor != "" {
			return fmt.Errorf("%w: %s is a YAML anchor or alias", errNotPlaceable, fieldpath.Path(path[:i]))
		}
		if cur.Style&kyaml.FlowStyle != 0 || isNull(cur) {
			if parent == nil {
				return fmt.Errorf("%w: the document is not a block mapping", errNotPlaceable)
			}
			return f.rewrite(parent, rest, value, remove)
		}
		switch cur.Kind {
		case kyaml.MappingNode:
			key, ok := seg.MapKey()
			if !ok {
				return fmt.Errorf("%w: %s is a mapping in the file, the path names a list item", errNotPlaceable, fieldpath.Path(path[:i]))
			}
			idx := mapIndex(cur, key)
			if idx < 0 {
				if remove {
					return nil
				}
				v, err := wrap(path[i+1:], value)
				if err != nil {
					return err
				}
				return f.insertKey(cur, end, key, v)
			}
			e := &entry{key: cur.Content[2*idx], value: cur.Content[2*idx+1], end: f.pairEnd(cur, idx, end)}
			if last {
				if remove {
					return f.deleteEntry(cur, idx, e)
				}
				return f.replaceValue(e, value)
			}
			parent, cur, end = e, e.value, e.end
		case kyaml.SequenceNode:
			if !seg.IsItem() {
				return fmt.Errorf("%w: %s is a list in the file, the path names a key", errNotPlaceable, fieldpath.Path(path[:i]))
			}
			idx, err := seqIndex(cur, seg)
			if err != nil {
				return err
			}
			if idx < 0 {
				switch {
				case remove:
					return nil
				case !last:
					return fmt.Errorf("%w: the item %s is not in the file", errNotPlaceable, fieldpath.Path(path[:i+1]))
				}
				return f.appendItem(cur, end, value)
			}
			itemEnd := f.itemEnd(cur, idx, end)
			if last {
				if remove {
					return f.deleteItem(parent, cur, idx, itemEnd)
				}
				return f.rewrite(parent, rest, value, false)
			}
			cur, end = cur.Content[idx], itemEnd
		default:
			return fmt.Errorf("%w: %s is a scalar in the file", errNotPlaceable, fieldpath.Path(path[:i]))
		}
	}
	return nil
}

func isNull(n *kyaml.Node) bool {
	return n.Kind == kyaml.ScalarNode && n.Tag == "!!null"
}

func mapIndex(m *kyaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value == key {
			return i / 2
		}
	}
	return -1
}

// seqIndex finds the item seg names, as fieldpath finds it in decoded JSON: by its keys (with the
// API's default for a key it leaves out), or by index. -1 when it is not there.
func seqIndex(s *kyaml.Node, seg fieldpath.Segment) (int, error) {
	if i, ok := seg.Index(); ok {
		if i < len(s.Content) {
			return i, nil
		}
		return -1, nil
	}
	for i, it := range s.Content {
		v, err := decodeNode(it)
		if err != nil {
			return 0, err
		}
		if _, ok := fieldpath.Step([]any{v}, seg); ok {
			return i, nil
		}
	}
	return -1, nil
}

// decodeNode decodes a node into JSON-like values (maps with string keys).
func decodeNode(n *kyaml.Node) (any, error) {
	var v any
	if err := n.Decode(&v); err != nil {
		return nil, fmt.Errorf("decoding YAML at line %d: %w", n.Line, err)
	}
	return jsonish(v), nil
}

// jsonish turns decoded YAML into what JSON decoding gives: map[string]any, []any, float64 or
// int64 numbers, strings, bools.
func jsonish(v any) any {
	switch t := v.(type) {
	case map[string]any:
		for k, x := range t {
			t[k] = jsonish(x)
		}
		return t
	case map[any]any:
		m := make(map[string]any, len(t))
		for k, x := range t {
			m[fmt.Sprint(k)] = jsonish(x)
		}
		return m
	case []any:
		for i, x := range t {
			t[i] = jsonish(x)
		}
		return t
	case int:
		return int64(t)
	case uint64:
		return float64(t)
	}
	return v
}

// wrap builds the value to insert below a missing key: maps for the keys of rest, the value at
// the end; an item can only be the last step (the item itself).
func wrap(rest []fieldpath.Segment, value any) (any, error) {
	if len(rest) == 0 {
		return value, nil
	}
	inner, err := wrap(rest[1:], value)
	if err != nil {
		return nil, err
	}
	if key, ok := rest[0].MapKey(); ok {
		return map[string]any{key: inner}, nil
	}
	if len(rest) == 1 {
		return []any{inner}, nil
	}
	return nil, fmt.Errorf("%w: the list item %s is not in the file", errNotPlaceable, fieldpath.Path(rest[:1]))
}

// pairEnd is the last line of the idx-th pair of mapping m, whose lines end at end.
func (f *yamlFile) pairEnd(m *kyaml.Node, idx, end int) int {
	if 2*idx+2 < len(m.Content) {
		return f.trimEnd(m.Content[2*idx].Line-1, m.Content[2*idx+2].Line-2)
	}
	return f.trimEnd(m.Content[2*idx].Line-1, end)
}

func (f *yamlFile) itemEnd(s *kyaml.Node, idx, end int) int {
	if idx+1 < len(s.Content) {
		return f.trimEnd(s.Content[idx].Line-1, s.Content[idx+1].Line-2)
	}
	return f.trimEnd(s.Content[idx].Line-1, end)
}

// trimEnd moves end back over blank and comment lines (they belong to what follows), never
// before start.
func (f *yamlFile) trimEnd(start, end int) int {
	for end > start && end < len(f.lines) && isBlankOrComment(f.lines[end]) {
		end--
	}
	if end >= len(f.lines) {
		end = len(f.lines) - 1
	}
	return end
}

func isBlankOrComment(line string) bool {
	t := strings.TrimSpace(line)
	return t == "" || strings.HasPrefix(t, "#")
}

func indentOf(line string) int { return len(line) - len(strings.TrimLeft(line, " ")) }

// replaceValue writes value as the value of the pair e: in place when the old value is a scalar
// on one line and the new one renders on one line, else the pair's lines are written anew.
func (f *yamlFile) replaceValue(e *entry, value any) error {
	old := e.value
	if old.Kind == kyaml.ScalarNode && old.Style&(kyaml.LiteralStyle|kyaml.FoldedStyle) == 0 && !isNull(old) {
		if text, ok := scalarText(value, old.Style); ok {
			line := old.Line - 1
			start := old.Column - 1
			if stop, ok := scalarEnd(f.lines[line], start, old.Style); ok && f.onlyCommentsAfter(line, e.end) {
				f.lines[line] = f.lines[line][:start] + text + f.lines[line][stop:]
				return nil
			}
		}
	}
	return f.writePair(e, value, old.Style&kyaml.FlowStyle != 0)
}

// onlyCommentsAfter reports whether the lines after line, up to end, are blank or comments.
func (f *yamlFile) onlyCommentsAfter(line, end int) bool {
	for l := line + 1; l <= end && l < len(f.lines); l++ {
		if !isBlankOrComment(f.lines[l]) {
			return false
		}
	}
	return true
}

// scalarText renders a scalar value on one line in the style of the value it replaces (a quoted
// string stays quoted the same way); false when it is not a scalar or needs more than a line.
func scalarText(value any, style kyaml.Style) (string, bool) {
	n := toNode(value)
	if n.Kind != kyaml.ScalarNode {
		return "", false
	}
	if n.Tag == "!!str" && style&(kyaml.DoubleQuotedStyle|kyaml.SingleQuotedStyle) != 0 {
		n.Style = style & (kyaml.DoubleQuotedStyle | kyaml.SingleQuotedStyle)
	}
	out, err := kyaml.Marshal(n)
	if err != nil {
		return "", false
	}
	text := strings.TrimSuffix(string(out), "\n")
	if strings.Contains(text, "\n") || strings.HasPrefix(text, "|") || strings.HasPrefix(text, ">") {
		return "", false
	}
	return text, true
}

// scalarEnd is the offset just past the scalar that starts at start on line.
func scalarEnd(line string, start int, style kyaml.Style) (int, bool) {
	if start > len(line) {
		return 0, false
	}
	switch {
	case style&kyaml.DoubleQuotedStyle != 0:
		for i := start + 1; i < len(line); i++ {
			switch line[i] {
			case '\\':
				i++
			case '"':
				return i + 1, true
			}
		}
		return 0, false
	case style&kyaml.SingleQuotedStyle != 0:
		for i := start + 1; i < len(line); i++ {
			if line[i] == '\'' {
				if i+1 < len(line) && line[i+1] == '\'' {
					i++
					continue
				}
				return i + 1, true
			}
		}
		return 0, false
	}
	stop := len(line)
	if c := strings.Index(line[start:], " #"); c >= 0 {
		stop = start + c
	}
	return start + len(strings.TrimRight(line[start:stop], " \t")), true
}

// writePair writes the pair e anew, from its key's line to its end: the key as written (quoting
// and line comment kept), the value rendered at the key's indentation.
func (f *yamlFile) writePair(e *entry, value any, flow bool) error {
	keyLine := e.key.Line - 1
	indent := e.key.Column - 1
	val := toNode(value)
	if flow && simple(value) {
		val.Style = kyaml.FlowStyle
	}
	key := &kyaml.Node{Kind: kyaml.ScalarNode, Tag: e.key.Tag, Value: e.key.Value, Style: e.key.Style}
	if key.Tag == "" {
		key.Tag = "!!str"
	}
	m := &kyaml.Node{Kind: kyaml.MappingNode, Content: []*kyaml.Node{key, val}}
	val.LineComment = e.value.LineComment
	if val.LineComment == "" {
		val.LineComment = e.key.LineComment
	}
	lines, err := f.render(m)
	if err != nil {
		return err
	}
	// The key may share its line with a list's "- " (the first key of an item): keep that prefix.
	prefix := f.lines[keyLine][:indent]
	for i := range lines {
		if i == 0 {
			lines[i] = prefix + lines[i]
		} else if lines[i] != "" {
			lines[i] = strings.Repeat(" ", indent) + lines[i]
		}
	}
	f.splice(keyLine, e.end, lines)
	return nil
}

// simple reports whether a value holds no collection inside: a flow style keeps it on a line.
func simple(v any) bool {
	switch t := v.(type) {
	case map[string]any:
		for _, x := range t {
			if _, ok := x.(map[string]any); ok {
				return false
			}
			if _, ok := x.([]any); ok {
				return false
			}
		}
	case []any:
		for _, x := range t {
			if _, ok := x.(map[string]any); ok {
				return false
			}
			if _, ok := x.([]any); ok {
				return false
			}
		}
	}
	return true
}

// rewrite writes the pair e's value anew with rest set (or removed) inside it: for flow
// collections, null values and replaced list items, whose text cannot be changed in place.
func (f *yamlFile) rewrite(e *entry, rest []fieldpath.Segment, value any, remove bool) error {
	if e == nil {
		return fmt.Errorf("%w: a list at the top of the document", errNotPlaceable)
	}
	cur, err := decodeNode(e.value)
	if err != nil {
		return err
	}
	next, err := setIn(cur, rest, value, remove)
	if err != nil {
		return err
	}
	return f.writePair(e, next, e.value.Style&kyaml.FlowStyle != 0)
}

// insertKey adds key: value to the block mapping m (whose lines end at end): in key order when
// the mapping's keys are sorted, else after its last pair.
func (f *yamlFile) insertKey(m *kyaml.Node, end int, key string, value any) error {
	n := len(m.Content) / 2
	at := n
	if keysSorted(m) {
		at = sortedIndex(m, key)
	}
	var line, indent int
	switch {
	case n == 0:
		return fmt.Errorf("%w: an empty mapping", errNotPlaceable)
	case at < n:
		line = f.headStart(m.Content[2*at])
		indent = m.Content[2*at].Column - 1
	default:
		line = f.pairEnd(m, n-1, end) + 1
		indent = m.Content[0].Column - 1
	}
	k := &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: key}
	lines, err := f.render(&kyaml.Node{Kind: kyaml.MappingNode, Content: []*kyaml.Node{k, toNode(value)}})
	if err != nil {
		return err
	}
	for i := range lines {
		if lines[i] != "" {
			lines[i] = strings.Repeat(" ", indent) + lines[i]
		}
	}
	if at == 0 && m.Content[0].Line-1 == line && indentOf(f.lines[line]) < indent {
		// The first key shares its line with "- ": the new key goes on that line, the old one below.
		prefix := f.lines[line][:indent]
		lines[0] = prefix + strings.TrimLeft(lines[0], " ")
		f.lines[line] = strings.Repeat(" ", indent) + f.lines[line][indent:]
	}
	f.splice(line, line-1, lines)
	return nil
}

// headStart is the first line of a key with the comment lines right above it.
func (f *yamlFile) headStart(key *kyaml.Node) int {
	line := key.Line - 1
	if indentOf(f.lines[line]) < key.Column-1 {
		return line // on a "- " line
	}
	for line > 0 && strings.HasPrefix(strings.TrimSpace(f.lines[line-1]), "#") {
		line--
	}
	return line
}

func keysSorted(m *kyaml.Node) bool {
	if len(m.Content) < 4 {
		return false
	}
	for i := 2; i+1 < len(m.Content); i += 2 {
		if m.Content[i-2].Value > m.Content[i].Value {
			return false
		}
	}
	return true
}

func sortedIndex(m *kyaml.Node, key string) int {
	for i := 0; i+1 < len(m.Content); i += 2 {
		if m.Content[i].Value > key {
			return i / 2
		}
	}
	return len(m.Content) / 2
}

// appendItem adds value as the last item of the block sequence s.
func (f *yamlFile) appendItem(s *kyaml.Node, end int, value any) error {
	if len(s.Content) == 0 {
		return fmt.Errorf("%w: an empty list", errNotPlaceable)
	}
	lastIdx := len(s.Content) - 1
	line := f.itemEnd(s, lastIdx, end) + 1
	first := s.Content[0]
	dash := strings.LastIndex(f.lines[first.Line-1][:first.Column-1], "-")
	if dash < 0 {
		return fmt.Errorf("%w: the list at line %d is not written as one item a line", errNotPlaceable, first.Line)
	}
	lines, err := f.render(&kyaml.Node{Kind: kyaml.SequenceNode, Content: []*kyaml.Node{toNode(value)}})
	if err != nil {
		return err
	}
	for i := range lines {
		if lines[i] != "" {
			lines[i] = strings.Repeat(" ", dash) + lines[i]
		}
	}
	f.splice(line, line-1, lines)
	return nil
}

// deleteEntry removes the idx-th pair of mapping m (with the comment right above it). The last
// pair of a mapping leaves the mapping empty ({}).
func (f *yamlFile) deleteEntry(m *kyaml.Node, idx int, e *entry) error {
	if len(m.Content) == 2 {
		return fmt.Errorf("%w: removing the only key %q would leave an empty mapping", errNotPlaceable, e.key.Value)
	}
	start := f.headStart(e.key)
	if idx == 0 && indentOf(f.lines[e.key.Line-1]) < e.key.Column-1 {
		// The first key of a list item: the next key takes its place on the "- " line.
		next := m.Content[2]
		prefix := f.lines[e.key.Line-1][:e.key.Column-1]
		nextLine := next.Line - 1
		f.lines[nextLine] = prefix + f.lines[nextLine][next.Column-1:]
		f.splice(e.key.Line-1, nextLine-1, nil)
		return nil
	}
	f.splice(start, e.end, nil)
	return nil
}

// deleteItem removes the idx-th item of sequence s; the only item leaves the list empty.
func (f *yamlFile) deleteItem(parent *entry, s *kyaml.Node, idx, end int) error {
	if len(s.Content) == 1 {
		if parent == nil {
			return fmt.Errorf("%w: removing the only item of a list", errNotPlaceable)
		}
		return f.writePair(parent, []any{}, true)
	}
	f.splice(s.Content[idx].Line-1, end, nil)
	return nil
}

// splice replaces lines from..to (inclusive; to = from-1 inserts) with repl.
func (f *yamlFile) splice(from, to int, repl []string) {
	out := make([]string, 0, len(f.lines)+len(repl))
	out = append(out, f.lines[:from]...)
	out = append(out, repl...)
	out = append(out, f.lines[to+1:]...)
	f.lines = out
}

// render encodes a node with the file's sequence style, as lines at indentation 0.
func (f *yamlFile) render(n *kyaml.Node) ([]string, error) {
	style := kyaml.WideSequenceStyle
	if f.seqCompact {
		style = kyaml.CompactSequenceStyle
	}
	out, err := kyaml.MarshalWithOptions(n, &kyaml.EncoderOptions{SeqIndent: style})
	if err != nil {
		return nil, fmt.Errorf("rendering YAML: %w", err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n"), nil
}

// toNode builds the YAML node of a JSON value. Keys of an object are written as a person writes
// them: the keys that name list items first (name, then the other merge keys), the rest sorted.
func toNode(v any) *kyaml.Node {
	switch t := v.(type) {
	case map[string]any:
		n := &kyaml.Node{Kind: kyaml.MappingNode}
		for _, k := range orderedKeys(t) {
			n.Content = append(n.Content, &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: k}, toNode(t[k]))
		}
		return n
	case []any:
		n := &kyaml.Node{Kind: kyaml.SequenceNode}
		for _, x := range t {
			n.Content = append(n.Content, toNode(x))
		}
		return n
	case string:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: t}
	case bool:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!bool", Value: strconv.FormatBool(t)}
	case nil:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!null", Value: "null"}
	case float64:
		if t == float64(int64(t)) {
			return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(int64(t), 10)}
		}
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!float", Value: strconv.FormatFloat(t, 'g', -1, 64)}
	case int64:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!int", Value: strconv.FormatInt(t, 10)}
	default:
		return &kyaml.Node{Kind: kyaml.ScalarNode, Tag: "!!str", Value: fmt.Sprint(t)}
	}
}

// itemKeys are the keys that identify list items, written first.
var itemKeys = []string{"name", "containerPort", "port", "mountPath", "devicePath", "ip", "topologyKey", "key"}

func orderedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.SortFunc(keys, func(a, b string) int {
		ia, ib := slices.Index(itemKeys, a), slices.Index(itemKeys, b)
		switch {
		case ia >= 0 && ib >= 0:
			return ia - ib
		case ia >= 0:
			return -1
		case ib >= 0:
			return 1
		}
		return strings.Compare(a, b)
	})
	return keys
}

// setIn is fieldpath.Set, an item missing from the file being a value that cannot be placed.
func setIn(cur any, path []fieldpath.Segment, value any, remove bool) (any, error) {
	out, err := fieldpath.Set(cur, path, value, remove)
	if errors.Is(err, fieldpath.ErrNoItem) {
		return nil, fmt.Errorf("%w: %v in the file", errNotPlaceable, err)
	}
	return out, err
}

// SetIn sets (or removes) the value at path inside a decoded JSON object, finding list items by
// their keys as fieldpath does, and returns the changed value.
func SetIn(cur any, path []fieldpath.Segment, value any, remove bool) (any, error) {
	return setIn(cur, path, value, remove)
}
