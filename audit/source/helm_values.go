package source

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	helmv2 "github.com/fluxcd/helm-controller/api/v2"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/strvals"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	"github.com/driftgate/driftgate/audit"
)

// ValuesFrom is one entry of a HelmRelease's spec.valuesFrom as read from the cluster.
type ValuesFrom struct {
	// Kind is ConfigMap or Secret.
	Kind, Namespace, Name string
	// Key is the data key read (valuesKey, default values.yaml); TargetPath, when set, is where
	// the whole value goes (as a string) instead of being merged as YAML.
	Key, TargetPath string
	// Data is the key's content; nil for an optional entry that is not there (skipped).
	Data []byte
}

func (v ValuesFrom) String() string {
	return fmt.Sprintf("valuesFrom %s %s/%s key %s", v.Kind, v.Namespace, v.Name, v.Key)
}

// ReadValuesFrom reads the ConfigMaps and Secrets of a HelmRelease's spec.valuesFrom with c
// (the audit reads them uncached: driftgate never watches Secrets). Their content goes into the
// rendered objects only.
func ReadValuesFrom(ctx context.Context, c client.Reader, hr *helmv2.HelmRelease) ([]ValuesFrom, error) {
	out := make([]ValuesFrom, 0, len(hr.Spec.ValuesFrom))
	for i, ref := range hr.Spec.ValuesFrom {
		v := ValuesFrom{Kind: ref.Kind, Namespace: hr.Namespace, Name: ref.Name, Key: ref.ValuesKey, TargetPath: ref.TargetPath}
		if v.Key == "" {
			v.Key = "values.yaml"
		}
		key := client.ObjectKey{Namespace: hr.Namespace, Name: ref.Name}
		var data map[string][]byte
		var err error
		switch ref.Kind {
		case "ConfigMap":
			var cm corev1.ConfigMap
			if err = c.Get(ctx, key, &cm); err == nil {
				data = map[string][]byte{}
				for k, s := range cm.Data {
					data[k] = []byte(s)
				}
				for k, b := range cm.BinaryData {
					data[k] = b
				}
			}
		case "Secret":
			var s corev1.Secret
			if err = c.Get(ctx, key, &s); err == nil {
				data = s.Data
			}
		default:
			return nil, fmt.Errorf("spec.valuesFrom[%d]: kind %q: want ConfigMap or Secret", i, ref.Kind)
		}
		switch {
		case apierrors.IsNotFound(err) && ref.Optional:
		case err != nil:
			return nil, fmt.Errorf("spec.valuesFrom[%d]: reading %s %s: %w", i, ref.Kind, key, err)
		case data[v.Key] == nil && !ref.Optional:
			return nil, fmt.Errorf("spec.valuesFrom[%d]: %s %s has no key %s", i, ref.Kind, key, v.Key)
		default:
			v.Data = data[v.Key]
		}
		out = append(out, v)
	}
	return out, nil
}

// LoadGitChart loads a chart from a GitRepository's files as source-controller packages it: the
// chart at chartPath (relative to repo, the repository's root), its default values replaced by
// valuesFiles (relative to repo) merged in order when any are named.
func LoadGitChart(repo, chartPath string, valuesFiles []string) (*chart.Chart, error) {
	ch, err := loader.LoadDir(filepath.Join(repo, filepath.FromSlash(chartPath)))
	if err != nil {
		return nil, fmt.Errorf("loading the chart at %s: %w", chartPath, oneLine(err))
	}
	if len(valuesFiles) == 0 {
		return ch, nil
	}
	merged := map[string]any{}
	for _, f := range valuesFiles {
		b, err := os.ReadFile(filepath.Join(repo, filepath.FromSlash(f)))
		if err != nil {
			return nil, fmt.Errorf("the chart's values file %s: %w", f, err)
		}
		var m map[string]any
		if err := yaml.Unmarshal(b, &m); err != nil {
			return nil, fmt.Errorf("the chart's values file %s is not YAML: %w", f, oneLine(err))
		}
		mergeValues(merged, m)
	}
	ch.Values = merged
	return ch, nil
}

// ValueOrigins say where each key of a release's values comes from ("image.tag" →
// "spec.values"), for backport hints. Keys of the chart's own defaults are not in it.
type ValueOrigins map[string]string

// ComposeValues merges a HelmRelease's values as helm-controller does: each valuesFrom entry
// in order (a YAML map merged deeply over the ones before, or with targetPath the whole value
// set at that path), then spec.values over all of them. A value that is not a YAML map is an
// error naming the entry; for a Secret the parser's message is left out, since it may quote
// the Secret.
func ComposeValues(from []ValuesFrom, inline map[string]any) (map[string]any, ValueOrigins, error) {
	out, origins := map[string]any{}, ValueOrigins{}
	for i, v := range from {
		if v.Data == nil {
			continue
		}
		where := fmt.Sprintf("spec.valuesFrom[%d] (%s %s/%s key %s)", i, v.Kind, v.Namespace, v.Name, v.Key)
		if v.TargetPath != "" {
			if err := strvals.ParseLiteralInto(v.TargetPath+"="+string(v.Data), out); err != nil {
				return nil, nil, fmt.Errorf("%s: targetPath %q: %w", where, v.TargetPath, v.redact(err))
			}
			origins[v.TargetPath] = v.String()
			continue
		}
		var m map[string]any
		if err := yaml.Unmarshal(v.Data, &m); err != nil {
			return nil, nil, fmt.Errorf("%s is not YAML: %w", where, v.redact(err))
		}
		mergeValues(out, m)
		leaves(m, "", func(k string) { origins[k] = v.String() })
	}
	mergeValues(out, inline)
	leaves(inline, "", func(k string) { origins[k] = "spec.values." + k })
	return out, origins, nil
}

// redact keeps a Secret's content out of an error: the parser's message is replaced.
func (v ValuesFrom) redact(err error) error {
	if v.Kind != "Secret" {
		return oneLine(err)
	}
	return errSecretValues
}

const errSecretValues = sentinel("the parser's message is left out, as it may quote the Secret")

// mergeValues merges src into dst deeply: maps are merged key by key, anything else replaces.
func mergeValues(dst, src map[string]any) {
	for k, v := range src {
		sm, ok := v.(map[string]any)
		dm, dok := dst[k].(map[string]any)
		if ok && dok {
			mergeValues(dm, sm)
			continue
		}
		if ok {
			cp := map[string]any{}
			mergeValues(cp, sm)
			v = cp
		}
		dst[k] = v
	}
}

// leaves calls fn with the dotted path of every value below m that is not a map.
func leaves(m map[string]any, prefix string, fn func(string)) {
	for k, v := range m {
		p := prefix + k
		if sub, ok := v.(map[string]any); ok && len(sub) > 0 {
			leaves(sub, p+".", fn)
			continue
		}
		fn(p)
	}
}

// scalarLeaves are the leaves of m that are strings or numbers, as text, by dotted path.
func scalarLeaves(m map[string]any) map[string]string {
	out := map[string]string{}
	var walk func(m map[string]any, prefix string)
	walk = func(m map[string]any, prefix string) {
		for k, v := range m {
			switch t := v.(type) {
			case map[string]any:
				walk(t, prefix+k+".")
			case string:
				out[prefix+k] = t
			case float64:
				out[prefix+k] = strconv.FormatFloat(t, 'f', -1, 64)
			case int64:
				out[prefix+k] = strconv.FormatInt(t, 10)
			case int:
				out[prefix+k] = strconv.Itoa(t)
			}
		}
	}
	walk(m, "")
	return out
}

// maxHintKeys bounds the values keys named in one object's hint.
const maxHintKeys = 5

// hint says, in each object's Source, which values keys produce its values: a key whose value
// (a string of 3 characters or more, or a number) is one of the object's values, or part of a
// string value, by where that key comes from (spec.values, a valuesFrom entry, or the chart's
// defaults). An object whose matched keys all come from one place has that place as its file
// (where a backport goes); the template's file follows in parentheses. It is a hint, found by
// value, not by tracing the template.
func (h HelmRelease) hint(objs []audit.Object, defaults map[string]any) {
	all := map[string]any{}
	mergeValues(all, defaults)
	mergeValues(all, h.Values)
	vals := scalarLeaves(all)
	keys := sortedKeys(vals)
	for i := range objs {
		o := &objs[i]
		var found []string
		where := map[string]bool{}
		for _, k := range keys {
			if len(found) == maxHintKeys {
				break
			}
			if !appearsIn(vals[k], o.Content) {
				continue
			}
			origin := h.Origins[k]
			if origin == "" {
				origin = h.defaultsFile()
			}
			found = append(found, k+" from "+origin)
			where[origin] = true
		}
		if len(found) == 0 {
			continue
		}
		file := o.Source
		if len(where) == 1 {
			for w := range where {
				file = w
			}
		}
		o.Source = fmt.Sprintf("%s (template %s; values: %s)", file, o.Source, strings.Join(found, ", "))
	}
}

// defaultsFile names the chart's default values: its values.yaml in Git, or the chart's.
func (h HelmRelease) defaultsFile() string {
	if h.ChartPath != "" {
		return h.ChartPath + "/values.yaml (the chart's defaults)"
	}
	return "the chart's defaults"
}

// appearsIn reports whether the value v is one of content's scalar values, or part of one of its
// strings (v of 3 characters or more).
func appearsIn(v string, content map[string]any) bool {
	if len(v) < 3 {
		if _, err := strconv.ParseFloat(v, 64); err != nil || v == "" {
			return false
		}
	}
	found := false
	var walk func(x any, top bool)
	walk = func(x any, top bool) {
		if found {
			return
		}
		switch t := x.(type) {
		case map[string]any:
			for k, c := range t {
				if top && (k == "apiVersion" || k == "kind") {
					continue
				}
				walk(c, false)
			}
		case []any:
			for _, c := range t {
				walk(c, false)
			}
		case string:
			found = t == v || len(v) >= 3 && strings.Contains(t, v)
		case float64:
			found = strconv.FormatFloat(t, 'f', -1, 64) == v
		case int64:
			found = strconv.FormatInt(t, 10) == v
		}
	}
	walk(content, true)
	return found
}

// sortedKeys are m's keys, sorted.
func sortedKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
