package report

// pageTemplate is the HTML report: one self-contained page, inline CSS, no scripts, no links
// out. The verdict comes first, then what is open, then the timeline, then the details.
const pageTemplate = `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{{.Title}}</title>
<style>
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 2rem auto; max-width: 72rem; padding: 0 1rem; color: #1b1f24; line-height: 1.45; }
h1 { font-size: 1.6rem; margin-bottom: .5rem; }
h2 { font-size: 1.2rem; margin-top: 2rem; border-bottom: 1px solid #d0d7de; padding-bottom: .25rem; }
h3 { font-size: 1rem; margin-bottom: .25rem; }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: #f3f4f6; padding: 0 .25rem; border-radius: 3px; font-size: .9em; overflow-wrap: anywhere; }
.verdict { padding: 1rem 1.25rem; border-radius: 6px; font-size: 1.1rem; margin: 1rem 0; }
.verdict.ready { background: #dafbe1; border: 2px solid #1a7f37; }
.verdict.open { background: #ffebe9; border: 2px solid #cf222e; }
.meta, .none { color: #57606a; }
table { border-collapse: collapse; width: 100%; margin: .5rem 0; font-size: .92rem; }
th, td { border: 1px solid #d0d7de; padding: .35rem .5rem; text-align: left; vertical-align: top; }
th { background: #f6f8fa; }
ul.changes { margin: 0; padding-left: 1rem; }
ol.timeline { list-style: none; padding-left: 0; border-left: 3px solid #d0d7de; }
ol.timeline li { padding: .2rem 0 .2rem .75rem; }
.kind { display: inline-block; min-width: 6.5rem; font-weight: 600; }
.k-write .kind { color: #9a6700; }
.k-backported .kind, .k-reverted .kind { color: #1a7f37; }
.k-revoked .kind, .k-expired .kind, .k-denied .kind { color: #57606a; }
section.report + section.report { margin-top: 3rem; border-top: 3px double #d0d7de; }
</style>
</head>
<body>
{{- if .Multi}}
<h1>{{.Title}}</h1>
{{- if .Reports}}
<p>{{len .Reports}} ticket(s) have edits still to backport or revert:</p>
<ul class="tickets">
{{- range .Reports}}
<li><code>{{.Ticket}}</code>: {{.Verdict.Summary}}, {{.Verdict.Reason}}</li>
{{- end}}
</ul>
{{- else}}
<p class="none">No open tickets: every recorded edit is backported to Git or reverted.</p>
{{- end}}
{{- end}}
{{- range .Reports}}
<section class="report">
<h1>Break-glass report: {{.Ticket}}</h1>
<div class="verdict {{if .Verdict.Ready}}ready{{else}}open{{end}}"><strong>{{.Verdict.Summary}}</strong>: {{.Verdict.Reason}}.</div>
<p class="meta">Generated <time datetime="{{stamp .GeneratedAt}}">{{stamp .GeneratedAt}}</time>
{{- with .Since}}; since {{stamp .}}{{end}}{{with .Until}}; until {{stamp .}}{{end}}.</p>
{{- if .Items}}
<h2>Open items</h2>
<ol class="open-items">
{{- range .Items}}
<li><strong>{{.Object}}</strong>: {{.Operation}} by {{.User}} at <time datetime="{{stamp .Time}}">{{stamp .Time}}</time> (edit <code>{{.Edit}}</code>)
<ul>
{{- if .Paths}}
<li>still open: {{codes .Paths}}</li>
{{- end}}
{{- with .SkippedInGit}}
<li class="skipped">skipped: {{.}}</li>
{{- end}}
<li>{{.BackportHTML}}</li>
<li>or {{.RevertHTML}}</li>
{{- with .SelfHeal}}
<li>self-heal: {{.Message}}</li>
{{- end}}
{{- range .Waiting}}
<li>{{.Text}}</li>
{{- end}}
</ul>
</li>
{{- end}}
</ol>
{{- end}}
{{- if .Verdict.Undone}}
<h2>Undone by the GitOps controller</h2>
<ol class="undone">
{{- range .Verdict.Undone}}
<li><strong>{{.Object}}</strong>: {{.User}}'s edit <code>{{.Edit}}</code> at <time datetime="{{stamp .Time}}">{{stamp .Time}}</time>
<ul>
{{- if .Paths}}
<li>back to Git's values: {{codes .Paths}}</li>
{{- end}}
<li>{{.Do}}</li>
</ul>
</li>
{{- end}}
</ol>
{{- end}}
{{- if .Notes}}
<h2>Notes</h2>
<ul class="notes">
{{- range .Notes}}
<li>{{.}}</li>
{{- end}}
</ul>
{{- end}}
<h2>Timeline</h2>
<ol class="timeline">
{{- range .Timeline}}
<li class="k-{{.Kind}}"><time datetime="{{stamp .Time}}">{{stamp .Time}}</time> <span class="kind">{{.Kind}}</span> {{.Text}}</li>
{{- end}}
</ol>
<h2>Grants</h2>
{{- if .Grants}}
<table class="grants">
<tr><th>Grant</th><th>Requester</th><th>Approvers</th><th>Reason</th><th>Scope</th><th>Window</th><th>Ended</th></tr>
{{- range .Grants}}
<tr><td><code>{{.Name}}</code></td><td>{{.Requester}}</td><td>{{approvers .}}</td><td>{{.Reason}}</td><td>namespaces {{codes .Scope.Namespaces}}; resources {{codes .Scope.Resources}}</td><td>{{.Window}} ({{.Duration}})</td><td>{{.End.Text}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="none">None: the edits of this ticket were made without a grant, or their grants are gone.</p>
{{- end}}
<h2>Edits</h2>
{{- if .Edits}}
<table class="edits">
<tr><th>Time</th><th>User</th><th>Grant</th><th>Operation</th><th>Object</th><th>Changes (old → new)</th><th>Backport</th></tr>
{{- range .Edits}}
<tr><td><time datetime="{{stamp .Time}}">{{stamp .Time}}</time></td><td>{{.User}}</td><td>{{grant .}}</td><td>{{.Operation}}</td><td>{{.Object}}</td><td>
{{- if .Changes}}<ul class="changes">{{range .Changes}}<li><code>{{.Path}}</code>: {{value .}}</li>{{end}}</ul>{{else}}(whole object){{end -}}
</td><td>{{backport .Backport}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="none">None were recorded.</p>
{{- end}}
<h2>Other drift on the same objects</h2>
{{- if not .OtherDrift.Known}}
<p class="none">Unknown: {{.OtherDrift.Note}}.</p>
{{- else if .OtherDrift.Objects}}
<table class="drift">
<tr><th>Object</th><th>GitSource</th><th>Status</th><th>Paths</th><th>Managers</th><th>First seen</th></tr>
{{- range .OtherDrift.Objects}}
<tr><td>{{.Object}}</td><td><code>{{.GitSource}}</code></td><td>{{drift .}}</td><td>{{if .Paths}}{{codes .Paths}}{{else}}(whole object){{end}}</td><td>{{range $i, $m := .Managers}}{{if $i}}, {{end}}{{$m}}{{end}}</td><td>{{stamp .FirstSeen}}</td></tr>
{{- end}}
</table>
{{- else}}
<p class="none">None: the Git audit reports no drift on the edited objects beyond this ticket's own paths.</p>
{{- end}}
</section>
{{- end}}
</body>
</html>
`
