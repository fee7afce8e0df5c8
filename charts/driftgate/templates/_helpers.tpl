{{/* The name of every object; templates/webhookconfiguration.yaml (generated) uses it too. */}}
{{- define "driftgate.fullname" -}}
{{- default "driftgate" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "driftgate.selectorLabels" -}}
app.kubernetes.io/name: driftgate
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "driftgate.labels" -}}
{{ include "driftgate.selectorLabels" . }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{- end -}}

{{/* The webhook's Service, as driftgate.yaml's webhook.serviceName. */}}
{{- define "driftgate.serviceName" -}}
{{ include "driftgate.fullname" . }}-webhook
{{- end -}}

{{/* The Secret the serving certificate is mounted from. */}}
{{- define "driftgate.certSecretName" -}}
{{- if and .Values.certManager.enabled .Values.webhook.certSecret -}}
{{- fail "set either certManager.enabled or webhook.certSecret, not both" -}}
{{- end -}}
{{- .Values.webhook.certSecret | default (printf "%s-cert" (include "driftgate.serviceName" .)) -}}
{{- end -}}

{{/* serve --cert-mode: self-managed unless a certificate is provided (Secret or cert-manager). */}}
{{- define "driftgate.certMode" -}}
{{- if or .Values.certManager.enabled .Values.webhook.certSecret }}provided{{ else }}self{{ end -}}
{{- end -}}

{{/* serve --cert-mode=self only: driftgate fills and rotates the Secret itself. */}}
{{- define "driftgate.selfManagedCert" -}}
{{- if eq (include "driftgate.certMode" .) "self" }}true{{ end -}}
{{- end -}}

{{/*
driftgate.yaml: values.config as given, plus what the chart decides: apiVersion and kind, the
webhook section (from webhook.* and the release) and identities.self (the chart's service account).
*/}}
{{- define "driftgate.config" -}}
{{- $cfg := deepCopy (.Values.config | default dict) -}}
{{- if hasKey $cfg "webhook" -}}
{{- fail "config.webhook is set by the chart (namespace, service and configuration names from the release, failurePolicy and timeoutSeconds from webhook.*): remove it" -}}
{{- end -}}
{{- if dig "identities" "self" "" $cfg -}}
{{- fail "config.identities.self is set by the chart to its own service account: remove it" -}}
{{- end -}}
{{- $webhook := dict
  "namespace" .Release.Namespace
  "serviceName" (include "driftgate.serviceName" .)
  "configurationName" (include "driftgate.fullname" .)
  "failurePolicy" .Values.webhook.failurePolicy
  "timeoutSeconds" .Values.webhook.timeoutSeconds
  "labels" (include "driftgate.labels" . | fromYaml)
  "annotations" (include "driftgate.webhookAnnotations" . | fromYaml) -}}
{{- $self := printf "system:serviceaccount:%s:%s" .Release.Namespace (include "driftgate.fullname" .) -}}
{{- $owned := dict "apiVersion" "driftgate.io/v1alpha1" "kind" "Config" "webhook" $webhook "identities" (dict "self" $self) -}}
{{- mergeOverwrite $cfg $owned | toYaml -}}
{{- end -}}

{{/* What a webhook configuration driftgate recreates carries, to stay the release's (config
webhook.annotations): Helm's ownership and, with cert-manager, its CA injection. */}}
{{- define "driftgate.webhookAnnotations" -}}
meta.helm.sh/release-name: {{ .Release.Name }}
meta.helm.sh/release-namespace: {{ .Release.Namespace }}
{{- if .Values.certManager.enabled }}
cert-manager.io/inject-ca-from: {{ .Release.Namespace }}/{{ include "driftgate.fullname" . }}-webhook
{{- end }}
{{- end -}}

{{/* The Git clones' directory, config.audit.workDir. */}}
{{- define "driftgate.gitDir" -}}
{{- dig "audit" "workDir" "/tmp/driftgate/git" (.Values.config | default dict) -}}
{{- end -}}
