package report

import (
	"encoding/json"
	"strings"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// style renders the parts of a hint: code (paths, files, commands) and plain text (object names,
// everything else taken from the records). Each output format has its own.
type style struct {
	code, text func(string) string
}

func plainStyle() style {
	same := func(s string) string { return s }
	return style{code: same, text: same}
}

// maxHintValue bounds the old values a revert hint spells out.
const maxHintValue = 60

// backportHint says what to change in Git to match the live object.
func backportHint(it OpenItem, s style) string {
	obj := s.text(it.Object.String())
	switch it.Operation {
	case "CREATE":
		return "open a PR adding " + obj + " to " + where(it, s, "Git")
	case "DELETE":
		return "open a PR removing " + obj + " from " + where(it, s, "the file that defines "+obj)
	}
	if len(it.Paths) == 0 {
		return "open a PR matching " + obj + " in " + where(it, s, "the file that defines "+obj) + " to the live object"
	}
	return "open a PR changing " + codeList(it.Paths, s) + " in " + where(it, s, "the file that defines "+obj)
}

// where is the file in Git (or fallback) and its GitSource.
func where(it OpenItem, s style, fallback string) string {
	out := fallback
	if it.File != "" {
		out = s.code(it.File)
	}
	if it.GitSource != "" {
		out += " (GitSource " + s.code(it.GitSource) + ")"
	}
	return out
}

// revertHint says how to undo the change live instead; e is the edit the item is for.
func revertHint(it OpenItem, e Edit, s style) string {
	ref := kubectlRef(it.Object)
	const grantNote = " (a person's write needs an active grant; a GitOps sync of the object does the same)"
	switch it.Operation {
	case "CREATE":
		return "revert it live: " + s.code("kubectl "+ref.ns+"delete "+ref.target) + grantNote
	case "DELETE":
		return "revert it live: have the GitOps tool sync the object back from Git, or " +
			s.code("kubectl "+ref.ns+"apply -f "+orDefault(it.File, "<file>")) + " from a checkout of the GitSource" + grantNote
	}
	if cmd, ok := scaleCommand(it, e, ref); ok {
		return "revert it live: " + s.code(cmd) + grantNote
	}
	return "revert it live: " + s.code("kubectl "+ref.ns+"edit "+ref.target) + " and " + restores(it.Paths, e, s) + grantNote
}

// kubectlRef is how kubectl names an object: "-n prod " and "deployments.apps/checkout".
type kubectlRefs struct{ ns, target string }

func kubectlRef(o Object) kubectlRefs {
	res := o.Resource
	if res == "" {
		res = strings.ToLower(o.Kind)
	}
	var r kubectlRefs
	if o.Namespace != "" {
		r.ns = "-n " + o.Namespace + " "
	}
	r.target = res + "/" + o.Name
	return r
}

// scaleCommand is `kubectl scale` for a /scale write that changed only the replicas.
func scaleCommand(it OpenItem, e Edit, ref kubectlRefs) (string, bool) {
	if e.Object.Subresource != "scale" || len(it.Paths) != 1 || it.Paths[0] != "spec.replicas" {
		return "", false
	}
	var n json.Number
	c, ok := changeAt(e, "spec.replicas")
	if !ok || json.Unmarshal(c.Old, &n) != nil {
		return "", false
	}
	return "kubectl " + ref.ns + "scale " + ref.target + " --replicas=" + n.String(), true
}

// restores says, per path, what to set it back to: its value before the edit where the record
// has it, else its value in Git.
func restores(paths []string, e Edit, s style) string {
	parts := make([]string, 0, len(paths))
	for _, p := range paths {
		parts = append(parts, restore(p, e, s))
	}
	return strings.Join(parts, ", ")
}

func restore(path string, e Edit, s style) string {
	c, ok := changeAt(e, path)
	switch {
	case !ok || string(c.Old) == `"`+v1alpha1.Sensitive+`"` || len(c.Old) > maxHintValue || strings.HasPrefix(string(c.Old), `"(`):
		return "set " + s.code(path) + " back to its value in Git"
	case string(c.Old) == "null":
		return "remove " + s.code(path)
	}
	return "set " + s.code(path) + " back to " + s.code(string(c.Old))
}

func changeAt(e Edit, path string) (Change, bool) {
	for _, c := range e.Changes {
		if c.Path == path {
			return c, true
		}
	}
	return Change{}, false
}

func codeList(items []string, s style) string {
	out := make([]string, 0, len(items))
	for _, it := range items {
		out = append(out, s.code(it))
	}
	return strings.Join(out, ", ")
}

func orDefault(s, def string) string {
	if s == "" {
		return def
	}
	return s
}
