{{- /*
Marker keys for the webhook's "gitops-owned" match condition, as JSON lists (which CEL reads as
lists), built exactly as webhook.OwnedCondition builds them from driftgate.yaml: the marker
labels plus the Argo CD tracking label when set, and the marker annotations.
*/ -}}
{{- define "driftgate.markerLabels" -}}
{{- $m := .Values.config.markers | default dict -}}
{{- $labels := $m.labels | default list -}}
{{- if $m.argocdTrackingLabel }}{{ $labels = append $labels $m.argocdTrackingLabel }}{{ end -}}
{{- toJson $labels -}}
{{- end -}}
{{- define "driftgate.markerAnnotations" -}}
{{- $m := .Values.config.markers | default dict -}}
{{- toJson ($m.annotations | default list) -}}
{{- end -}}
{{- /*
The system controllers the "not-system-controllers" match condition leaves out, as JSON lists,
as webhook.NotSystemCondition builds them from driftgate.yaml's identities.
*/ -}}
{{- define "driftgate.systemUsers" -}}
{{- toJson ((.Values.config.identities | default dict).system | default list) -}}
{{- end -}}
{{- define "driftgate.systemPrefixes" -}}
{{- toJson ((.Values.config.identities | default dict).systemPrefixes | default list) -}}
{{- end -}}
{{- define "driftgate.systemGroups" -}}
{{- toJson ((.Values.config.identities | default dict).systemGroups | default list) -}}
{{- end -}}
{{- /*
The names accepted without a credential id, as config.IdentitiesWithoutCredential lists them:
identities.withoutCredential, then the Flux tenant service accounts (Flux impersonates them).
*/ -}}
{{- define "driftgate.withoutCredential" -}}
{{- $id := .Values.config.identities | default dict -}}
{{- $names := $id.withoutCredential | default list -}}
{{- range ($id.fluxTenantServiceAccounts | default list) }}
{{- $parts := splitn "/" 2 . -}}
{{- $names = append $names (printf "system:serviceaccount:%s:%s" $parts._0 $parts._1) -}}
{{- end -}}
{{- toJson $names -}}
{{- end -}}
