package backport

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"reflect"
	"slices"
	"strings"

	chart "helm.sh/helm/v4/pkg/chart/v2"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/driftgate/driftgate/audit"
	"github.com/driftgate/driftgate/audit/source"
	"github.com/driftgate/driftgate/internal/fieldpath"
)

// Helm is the Flux HelmRelease a GitSource with spec.sourceRef names. The repository cloned is
// the one whose Flux Kustomization applies the HelmRelease's manifest (Kustomization); a value
// of what the chart renders is written to the values key that produces it: in the manifest's
// spec.values, or in the chart's values file in Git.
type Helm struct {
	// Release is the release as the audit renders it: its names, and Chart, the artifact of its
	// HelmChart (downloaded when the chart is not in the repository cloned). Its Values are
	// composed again from ValuesFrom and the manifest's spec.values in Git.
	Release source.HelmRelease
	// ValuesFrom are the release's spec.valuesFrom as read from the cluster.
	ValuesFrom []source.ValuesFrom
	// Values are the HelmRelease's spec.values as read live: used when its manifest is not in
	// the repository (Kustomization nil).
	Values map[string]any
	// Kustomization applies the HelmRelease's manifest from the repository cloned; nil when no
	// Flux Kustomization does (then no spec.values key can be written).
	Kustomization *Flux
	// ChartPath is the chart's path in the repository cloned (its HelmChart's GitRepository is
	// that repository), ValuesFiles its HelmChart's spec.valuesFiles; empty ChartPath: the chart
	// is downloaded from source-controller (Release.Chart) with Fetcher.
	ChartPath   string
	ValuesFiles []string
	// ChartElsewhere names where the chart comes from when it is not in the repository cloned
	// (another Git repository, a chart repository): its values files cannot be written.
	ChartElsewhere string
	Fetcher        *source.Fetcher
}

// name is "HelmRelease namespace/name".
func (h *Helm) name() string { return "HelmRelease " + h.Release.Namespace + "/" + h.Release.Name }

// fluxHelmGroup is the API group of Flux's HelmRelease.
const fluxHelmGroup = "helm.toolkit.fluxcd.io"

// helmLocator places a value of an object a HelmRelease renders in the values key that
// produces it. The key is found by rendering the chart again with a candidate key (one of the
// values whose value is, or is part of, Git's value at the path) set to what would make the
// live value, and keeping it only when the render then differs from Git's at exactly that path
// of that object, with the live value. The key is written where its value comes from: the
// HelmRelease's spec.values, the chart's values file in Git, or, for a chart's default, as a new
// override in spec.values; a value no key produces (a template's literal, what the chart
// computes) or that comes from a valuesFrom ConfigMap or Secret is reported, never guessed.
type helmLocator struct {
	ctx     context.Context
	helm    *Helm
	chart   *chart.Chart
	release source.HelmRelease
	// base is Git's render, by object; defaultNS is given to objects without a namespace.
	base      map[objKey]*audit.Object
	objects   []audit.Object
	defaultNS string
	// manifest is the HelmRelease as Git renders it and manifests places values in it; nil
	// when its manifest is not in the repository.
	manifest  *audit.Object
	manifests Locator
	// fsys holds the repository's files (the chart's values files).
	fsys fs.FS
}

// locator renders the release as Git holds it at the clone's revision: the HelmRelease's
// manifest as its Kustomization renders it (for spec.values), the chart from the clone (its
// values files merged as source-controller merges them) or from source-controller.
func (h *Helm) locator(ctx context.Context, clone *Clone, defaultNS string) (*helmLocator, error) {
	rev := clone.Base.Hash.String()
	fsys := os.DirFS(clone.Files)
	in := helmInput{helm: h, fsys: fsys, defaultNS: defaultNS}
	if fl := h.Kustomization; fl != nil {
		snap, err := renderFlux(ctx, clone.Files, nil, fl, fl.Kustomization, rev)
		if err != nil {
			return nil, fmt.Errorf("rendering %s, which applies %s: %w", fl.name(), h.name(), err)
		}
		for i := range snap.Objects {
			o := &snap.Objects[i]
			if o.Group() == fluxHelmGroup && o.Kind() == "HelmRelease" && o.Name() == h.Release.Name &&
				(o.Namespace() == h.Release.Namespace || o.Namespace() == "") {
				in.manifest = o
			}
		}
		p, _, _ := unstructured.NestedString(fl.Kustomization.Object, "spec", "path")
		in.manifests = fluxLocator{next: Files{FS: fsys, Path: cleanSub(p)}, flux: fl,
			ablations: ablations(ctx, clone.Files, fl, rev, defaultNS)}
	}
	var err error
	if h.ChartPath != "" {
		in.chart, err = source.LoadGitChart(clone.Files, h.ChartPath, h.ValuesFiles)
	} else {
		f := h.Fetcher
		if f == nil {
			f = &source.Fetcher{}
		}
		in.chart, err = f.HelmChart(ctx, h.Release.Chart)
	}
	if err != nil {
		return nil, err
	}
	return newHelmLocator(ctx, in)
}

// helmInput is what a helmLocator is built from: the chart, the manifest (nil: not in Git) and
// its locator, and the repository's files.
type helmInput struct {
	helm      *Helm
	chart     *chart.Chart
	manifest  *audit.Object
	manifests Locator
	fsys      fs.FS
	defaultNS string
}

// newHelmLocator composes the release's values from Git's manifest (spec.values over the
// valuesFrom entries) and renders the chart with them.
func newHelmLocator(ctx context.Context, in helmInput) (*helmLocator, error) {
	h := in.helm
	inline := h.Values
	if in.manifest != nil {
		v, _, err := unstructured.NestedFieldNoCopy(in.manifest.Content, "spec", "values")
		if err != nil {
			return nil, fmt.Errorf("%s in Git: spec.values: %w", h.name(), err)
		}
		inline, _ = v.(map[string]any)
	}
	rel := h.Release
	var err error
	if rel.Values, rel.Origins, err = source.ComposeValues(h.ValuesFrom, inline); err != nil {
		return nil, fmt.Errorf("%s: %w", h.name(), err)
	}
	l := &helmLocator{ctx: ctx, helm: h, chart: in.chart, release: rel, defaultNS: in.defaultNS,
		manifest: in.manifest, manifests: in.manifests, fsys: in.fsys}
	if l.objects, err = source.RenderHelm(ctx, in.chart, rel); err != nil {
		return nil, err
	}
	l.base = index(l.objects, in.defaultNS)
	return l, nil
}

// Locate implements Locator.
func (l *helmLocator) Locate(obj audit.Object, p []fieldpath.Segment, value any, remove bool) ([]Write, error) {
	k := objKey{obj.Group(), obj.Kind(), obj.Namespace(), obj.Name()}
	if k.namespace == "" {
		k.namespace = l.defaultNS
	}
	if l.base[k] == nil {
		return nil, ErrNotHandled
	}
	tmpl := templateOf(obj.Source)
	if remove {
		return nil, fmt.Errorf("%w: the value is gone live, and no values key of %s removes what chart %s renders there (%s): change the chart or its values by hand",
			ErrUnplaceable, l.helm.name(), l.chartName(), tmpl)
	}
	gitValue, ok := fieldpath.Lookup(any(l.base[k].Content), p)
	if !ok {
		return nil, fmt.Errorf("%w: chart %s does not render %s at all (%s): no values key produces it; add it to the chart by hand",
			ErrUnplaceable, l.chartName(), describe(obj), tmpl)
	}
	if _, scalar := valueText(gitValue); !scalar {
		return nil, fmt.Errorf("%w: %s of %s is a %s: driftgate finds the values key of a single value only; write its values into %s's values by hand",
			ErrUnplaceable, fieldpath.Path(p), describe(obj), kindOfValue(gitValue), l.helm.name())
	}
	key, next, err := l.find(k, p, gitValue, value, obj)
	if err != nil {
		return nil, err
	}
	return l.place(key, next)
}

// chartName is "web-0.1.0".
func (l *helmLocator) chartName() string { return l.chart.Name() + "-" + l.chart.Metadata.Version }

// templateOf is the template's file in an object's Source as package source writes it
// ("<file> (template <template>; values: …)", or the template alone).
func templateOf(src string) string {
	if _, rest, ok := strings.Cut(src, "(template "); ok {
		t, _, _ := strings.Cut(rest, ";")
		t, _, _ = strings.Cut(t, ")")
		return "template " + t
	}
	return "template " + src
}

// valueKey is a values key: its path through maps.
type valueKey []string

func (k valueKey) String() string { return strings.Join(k, ".") }

// segments are the key's path below prefix, as the YAML editor takes it.
func (k valueKey) segments(prefix ...string) []fieldpath.Segment {
	out := make([]fieldpath.Segment, 0, len(prefix)+len(k))
	for _, s := range append(append([]string(nil), prefix...), k...) {
		out = append(out, fieldpath.KeySegment(s))
	}
	return out
}

// candidate is a values key and the value it would need for the live value to render.
type candidate struct {
	key   valueKey
	value any
}

// find is the one values key that produces Git's value at p of the object: set to next, the
// chart renders the live value there and nothing else changes.
func (l *helmLocator) find(k objKey, p []fieldpath.Segment, gitValue, live any, obj audit.Object) (valueKey, any, error) {
	all := map[string]any{}
	mergeInto(all, l.chart.Values)
	mergeInto(all, l.release.Values)
	var found []candidate
	var wider []string
	for _, c := range candidates(all, gitValue, live) {
		vals := deepCopyMap(l.release.Values)
		setKey(vals, c.key, c.value)
		rel := l.release
		rel.Values = vals
		objs, err := source.RenderHelm(l.ctx, l.chart, rel)
		if err != nil {
			continue // that value does not render: not the key
		}
		got := index(objs, l.defaultNS)
		if v, ok := fieldpath.Lookup(any(contentOf(got[k])), p); !ok || JSONValue(v) != JSONValue(live) {
			continue
		}
		if others := l.changedBesides(got, k, p, gitValue); len(others) > 0 {
			wider = append(wider, fmt.Sprintf("%s also changes %s", c.key, strings.Join(others, ", ")))
			continue
		}
		found = append(found, c)
	}
	if len(found) > 1 {
		// A key the release sets wins over the chart's defaults: that is where a person set it.
		var set []candidate
		for _, c := range found {
			if l.release.Origins[c.key.String()] != "" {
				set = append(set, c)
			}
		}
		if len(set) == 1 {
			found = set
		}
	}
	switch {
	case len(found) == 1:
		return found[0].key, found[0].value, nil
	case len(found) > 1:
		keys := make([]string, 0, len(found))
		for _, c := range found {
			keys = append(keys, c.key.String())
		}
		return nil, nil, fmt.Errorf("%w: several values keys of %s produce the value (%s): not guessed, write it by hand",
			ErrUnplaceable, l.helm.name(), strings.Join(keys, ", "))
	case len(wider) > 0:
		return nil, nil, fmt.Errorf("%w: no values key of %s produces only this value (%s): writing it would change more than the edit did; write it by hand",
			ErrUnplaceable, l.helm.name(), strings.Join(wider, "; "))
	}
	return nil, nil, fmt.Errorf("%w: no values key of %s produces %s of %s: it comes from the chart's %s (chart %s), written there or computed by the chart; change the chart by hand",
		ErrUnplaceable, l.helm.name(), fieldpath.Path(p), describe(obj), templateOf(obj.Source), l.chartName())
}

// changedBesides names what a render differs in from Git's besides p of object k (p set back to
// gitValue): other objects, other paths of the object.
func (l *helmLocator) changedBesides(got map[objKey]*audit.Object, k objKey, p []fieldpath.Segment, gitValue any) []string {
	var out []string
	for key, b := range l.base {
		g := got[key]
		if g == nil {
			out = append(out, describeKey(key)+" (gone)")
			continue
		}
		gc := g.Content
		if key == k {
			back, err := SetIn(deepCopy(any(gc)), p, gitValue, false)
			if err != nil {
				out = append(out, describeKey(key))
				continue
			}
			gc, _ = back.(map[string]any)
		}
		if !reflect.DeepEqual(jsonRoundTrip(b.Content), jsonRoundTrip(gc)) {
			paths := []string{}
			for _, c := range fieldpath.Diff(jsonRoundTrip(b.Content), jsonRoundTrip(gc), nil, nil) {
				paths = append(paths, c.Path)
			}
			out = append(out, describeKey(key)+" "+strings.Join(paths, ", "))
		}
	}
	for key := range got {
		if l.base[key] == nil {
			out = append(out, describeKey(key)+" (added)")
		}
	}
	slices.Sort(out)
	return out
}

// place writes the key where its value comes from: spec.values of the HelmRelease's manifest,
// the chart's values file in Git that sets it last, or, for a chart's default, a new key in
// spec.values (the override a person would write).
func (l *helmLocator) place(key valueKey, value any) ([]Write, error) {
	origin := l.release.Origins[key.String()]
	switch {
	case strings.HasPrefix(origin, "spec.values."):
		return l.override(key, value, "")
	case origin != "":
		return nil, fmt.Errorf("%w: the value comes from values key %s of %s's %s: change it there",
			ErrUnplaceable, key, l.helm.name(), origin)
	}
	if len(l.helm.ValuesFiles) > 0 {
		if l.helm.ChartPath == "" {
			return nil, fmt.Errorf("%w: the value comes from values key %s of the chart's values files (%s) in %s, not the repository of %s's manifest: change it there",
				ErrUnplaceable, key, strings.Join(l.helm.ValuesFiles, ", "), l.helm.ChartElsewhere, l.helm.name())
		}
		file, err := l.valuesFileOf(key)
		if err != nil {
			return nil, err
		}
		if file != "" && file != path.Join(l.helm.ChartPath, "values.yaml") {
			return []Write{{File: file, Path: key.segments(), Value: value}}, nil
		}
	}
	return l.override(key, value, fmt.Sprintf("the value comes from values key %s of the chart's defaults (chart %s)", key, l.chartName()))
}

// override writes the key into the HelmRelease manifest's spec.values. why, for a chart's
// default, says where the value comes from when the manifest is not in Git.
func (l *helmLocator) override(key valueKey, value any, why string) ([]Write, error) {
	if l.manifest == nil {
		if why == "" {
			why = "the value comes from values key " + key.String() + " of spec.values"
		}
		return nil, fmt.Errorf("%w: %s, and no Flux Kustomization applies %s's manifest from Git: no override can be written",
			ErrUnplaceable, why, l.helm.name())
	}
	return l.manifests.Locate(*l.manifest, key.segments("spec", "values"), value, false)
}

// valuesFileOf is the last of the chart's values files that sets the key (they are merged in
// order); empty when none does.
func (l *helmLocator) valuesFileOf(key valueKey) (string, error) {
	for _, f := range slices.Backward(l.helm.ValuesFiles) {
		src, err := fs.ReadFile(l.fsys, f)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", fmt.Errorf("reading the chart's values file %s: %w", f, err)
		}
		docs, err := readDocs(src)
		if err != nil {
			return "", fmt.Errorf("%s: %w", f, err)
		}
		if len(docs) == 0 {
			continue
		}
		if _, ok := fieldpath.Lookup(any(docs[0]), key.segments()); ok {
			return f, nil
		}
	}
	return "", nil
}

// candidates are the values keys (through maps) whose scalar value is Git's value, or part of
// it when Git's value is a string, each with the value that would make the live value: the live
// value itself, or the part of the live string where the key's value stands in Git's.
func candidates(values map[string]any, gitValue, live any) []candidate {
	gv, gok := valueText(gitValue)
	if !gok {
		return nil
	}
	_, gitIsString := gitValue.(string)
	lv, liveIsString := live.(string)
	var out []candidate
	var walk func(m map[string]any, prefix valueKey)
	walk = func(m map[string]any, prefix valueKey) {
		for _, name := range sortedKeysOf(m) {
			key := append(append(valueKey(nil), prefix...), name)
			if sub, ok := m[name].(map[string]any); ok {
				walk(sub, key)
				continue
			}
			kv, ok := valueText(m[name])
			if !ok || kv == "" {
				continue
			}
			if kv == gv {
				out = append(out, candidate{key, live})
				continue
			}
			if !gitIsString || !liveIsString || len(kv) < 2 {
				continue
			}
			seen := map[string]bool{}
			for i := strings.Index(gv, kv); i >= 0; {
				prefix, suffix := gv[:i], gv[i+len(kv):]
				if strings.HasPrefix(lv, prefix) && strings.HasSuffix(lv, suffix) && len(lv) >= len(prefix)+len(suffix) {
					mid := lv[len(prefix) : len(lv)-len(suffix)]
					if mid != "" && !seen[mid] {
						seen[mid] = true
						out = append(out, candidate{key, mid})
					}
				}
				next := strings.Index(gv[i+1:], kv)
				if next < 0 {
					break
				}
				i += 1 + next
			}
		}
	}
	walk(values, nil)
	return out
}

// kindOfValue names what a value that is not a scalar is.
func kindOfValue(v any) string {
	if _, ok := v.([]any); ok {
		return "list"
	}
	return "map"
}

// valueText is a scalar value as text (strings, numbers, booleans).
func valueText(v any) (string, bool) {
	switch t := v.(type) {
	case string, float64, int64, int, bool:
		return fieldpath.Scalar(t), true
	}
	return "", false
}

func sortedKeysOf(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}

// setKey sets the key in values, making the maps on the way (replacing what is not a map).
func setKey(values map[string]any, key valueKey, v any) {
	m := values
	for _, s := range key[:len(key)-1] {
		sub, ok := m[s].(map[string]any)
		if !ok {
			sub = map[string]any{}
			m[s] = sub
		}
		m = sub
	}
	m[key[len(key)-1]] = v
}

// mergeInto merges src into dst deeply (copying src's maps), as Helm merges values.
func mergeInto(dst, src map[string]any) {
	for k, v := range src {
		sm, ok := v.(map[string]any)
		if !ok {
			dst[k] = v
			continue
		}
		dm, ok := dst[k].(map[string]any)
		if !ok {
			dm = map[string]any{}
			dst[k] = dm
		}
		mergeInto(dm, sm)
	}
}

func deepCopyMap(m map[string]any) map[string]any {
	out, _ := deepCopy(any(m)).(map[string]any)
	if out == nil {
		out = map[string]any{}
	}
	return out
}

func deepCopy(v any) any {
	switch t := v.(type) {
	case map[string]any:
		out := make(map[string]any, len(t))
		for k, c := range t {
			out[k] = deepCopy(c)
		}
		return out
	case []any:
		out := make([]any, len(t))
		for i, c := range t {
			out[i] = deepCopy(c)
		}
		return out
	}
	return v
}

// jsonRoundTrip is m as JSON decodes it, so that int64 and float64 of one number compare equal.
func jsonRoundTrip(m map[string]any) map[string]any {
	b, err := json.Marshal(m)
	if err != nil {
		return m
	}
	var out map[string]any
	if err := json.Unmarshal(b, &out); err != nil {
		return m
	}
	return out
}

func contentOf(o *audit.Object) map[string]any {
	if o == nil {
		return nil
	}
	return o.Content
}

func describeKey(k objKey) string {
	if k.namespace == "" {
		return k.kind + " " + k.name
	}
	return k.kind + " " + k.namespace + "/" + k.name
}
