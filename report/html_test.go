package report

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"golang.org/x/net/html"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/driftgate/driftgate/api/v1alpha1"
)

// TestHTML parses the fixture's HTML page and checks what a reader relies on: the verdict
// banner first, the open items before the details, every edit's object and path, the timeline
// in time order, nothing fetched from elsewhere, and no Secret value.
func TestHTML(t *testing.T) {
	r, err := Build(fixture(t))
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, HTML, r); err != nil {
		t.Fatal(err)
	}
	out := b.String()
	checkNoSecrets(t, out)
	for _, bad := range []string{"<script", "http:", "https:", "url(", "@import", "src=", "href="} {
		if strings.Contains(strings.ToLower(out), bad) {
			t.Errorf("HTML contains %q: it must be self-contained", bad)
		}
	}
	doc, err := html.Parse(strings.NewReader(out))
	if err != nil {
		t.Fatal(err)
	}
	checkVerdictFirst(t, doc)
	checkEdits(t, doc, r)
	checkTimeline(t, doc, r)
}

func checkVerdictFirst(t *testing.T, doc *html.Node) {
	t.Helper()
	var order []string
	walk(doc, func(n *html.Node) {
		if hasClass(n, "verdict") || n.Data == "h2" {
			order = append(order, strings.TrimSpace(text(n)))
		}
	})
	want := []string{"NOT READY: 2 of 5 edits still need a backport to Git or a live revert, and 1 edit was undone by the GitOps controller, not by a person.", "Open items", "Undone by the GitOps controller", "Notes", "Timeline",
		"Grants", "Edits", "Other drift on the same objects"}
	if diff := cmp.Diff(want, order); diff != "" {
		t.Errorf("verdict and sections in order (-want +got):\n%s", diff)
	}
	items := find(doc, "open-items")
	if items == nil || !strings.Contains(text(items), "apps/checkout/deployment.yaml") ||
		!strings.Contains(text(items), "the file that defines Secret prod/checkout-db") {
		t.Errorf("open items do not say where to backport:\n%s", text(items))
	}
}

func checkEdits(t *testing.T, doc *html.Node, r Report) {
	t.Helper()
	edits := text(find(doc, "edits"))
	for _, e := range r.Edits {
		for _, want := range append([]string{e.Object.String()}, paths(e)...) {
			if !strings.Contains(edits, want) {
				t.Errorf("edits table lacks %q", want)
			}
		}
	}
	if !strings.Contains(text(find(doc, "drift")), `metadata.labels["team"]`) {
		t.Errorf("other drift lacks metadata.labels[\"team\"]")
	}
}

func paths(e Edit) []string {
	var out []string
	for _, c := range e.Changes {
		out = append(out, c.Path)
	}
	return out
}

func checkTimeline(t *testing.T, doc *html.Node, r Report) {
	t.Helper()
	var times, kinds []string
	for li := find(doc, "timeline").FirstChild; li != nil; li = li.NextSibling {
		if li.Type != html.ElementNode {
			continue
		}
		times = append(times, attr(li.FirstChild, "datetime"))
		kinds = append(kinds, strings.TrimPrefix(attr(li, "class"), "k-"))
	}
	if !slices.IsSorted(times) {
		t.Errorf("timeline not in time order: %v", times)
	}
	want := []string{"requested", "approved", "activated", "write", "write", "write", "write", "write", "reverted", "expired", "backported", "reverted"}
	if diff := cmp.Diff(want, kinds); diff != "" {
		t.Errorf("timeline (-want +got):\n%s", diff)
	}
}

// TestHTMLEscapes: text from the records never becomes markup.
func TestHTMLEscapes(t *testing.T) {
	in := fixture(t)
	in.Grants[0].Spec.Reason = `<img src=x onerror=alert(1)> & "quoted"`
	in.Edits[1].Spec.Changes[0].Path = `metadata.labels["<b>x</b>"]`
	r, err := Build(in)
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, HTML, r); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"<img", "<b>x"} {
		if strings.Contains(b.String(), bad) {
			t.Errorf("HTML contains unescaped %q", bad)
		}
	}
	doc, err := html.Parse(&b)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text(find(doc, "grants")), `<img src=x onerror=alert(1)> & "quoted"`) {
		t.Errorf("the reason does not read as written")
	}
}

func walk(n *html.Node, f func(*html.Node)) {
	f(n)
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

// find is the first element with class.
func find(doc *html.Node, class string) *html.Node {
	var out *html.Node
	walk(doc, func(n *html.Node) {
		if out == nil && hasClass(n, class) {
			out = n
		}
	})
	return out
}

func hasClass(n *html.Node, class string) bool {
	return n.Type == html.ElementNode && slices.Contains(strings.Fields(attr(n, "class")), class)
}

func attr(n *html.Node, key string) string {
	if n == nil {
		return ""
	}
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val
		}
	}
	return ""
}

func text(n *html.Node) string {
	if n == nil {
		return ""
	}
	var b strings.Builder
	walk(n, func(c *html.Node) {
		if c.Type == html.TextNode {
			b.WriteString(c.Data)
		}
	})
	return b.String()
}

// TestWriteAll: several tickets make one HTML page and one JSON document; none make an empty one.
func TestWriteAll(t *testing.T) {
	var page bytes.Buffer
	if err := WriteAll(&page, HTML, BuildOpen(fixture(t))); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(&page)
	if err != nil {
		t.Fatal(err)
	}
	if got := text(find(doc, "tickets")); !strings.Contains(got, "INC-4242: NOT READY") || !strings.Contains(got, "INC-9: NOT READY") {
		t.Errorf("ticket list = %q, want both tickets not ready", got)
	}
	var none bytes.Buffer
	if err := WriteAll(&none, JSON, nil); err != nil {
		t.Fatal(err)
	}
	if got := none.String(); got != "{\n  \"reports\": []\n}\n" {
		t.Errorf("no open tickets as JSON = %q", got)
	}
}

// TestHTMLSkippedInGit: an edit of an object Git marks driftgate.io/skip is an open item of the
// HTML page saying so, as in the text report, under the verdict REVIEW BEFORE CLOSING.
func TestHTMLSkippedInGit(t *testing.T) {
	const why = `Git marks the object driftgate.io/skip: "true": the audit does not decide this edit; close it by decision`
	skipped := edit(t, "e7", grantName, "INC-1", "2026-11-21T10:07:00Z", "ConfigMap", "cfg", change{"data.B", nil, "x"})
	skipped.Status.Conditions = []metav1.Condition{{Type: "BackportTracked", Status: metav1.ConditionFalse, Reason: "SkippedInGit", Message: why}}
	r, err := Build(Input{Ticket: "INC-1", Now: at(t, "2026-11-21T12:00:00Z").Time,
		Grants: []v1alpha1.BreakGlassGrant{grant(t, grantName, "INC-1", "bob")}, Edits: []v1alpha1.BreakGlassEdit{skipped}})
	if err != nil {
		t.Fatal(err)
	}
	var b bytes.Buffer
	if err := Write(&b, HTML, r); err != nil {
		t.Fatal(err)
	}
	doc, err := html.Parse(strings.NewReader(b.String()))
	if err != nil {
		t.Fatal(err)
	}
	var verdict, skippedItems []string
	walk(doc, func(n *html.Node) {
		switch {
		case hasClass(n, "verdict"):
			summary, _, _ := strings.Cut(strings.TrimSpace(text(n)), ":")
			verdict = append(verdict, summary)
		case hasClass(n, "skipped"):
			skippedItems = append(skippedItems, strings.TrimSpace(text(n)))
		}
	})
	want := []string{"skipped: " + why}
	if diff := cmp.Diff(want, skippedItems); diff != "" {
		t.Errorf("skipped open items (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{SummaryReview}, verdict); diff != "" {
		t.Errorf("verdict (-want +got):\n%s", diff)
	}
	if items := find(doc, "open-items"); items == nil || !strings.Contains(text(items), "ConfigMap prod/cfg") {
		t.Errorf("the skipped edit is not an open item")
	}
}
