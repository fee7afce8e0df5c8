{{- define "driftgate.fullname" -}}
{{- default "driftgate" .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- define "driftgate.labels" -}}
app.kubernetes.io/name: driftgate
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
{{- end -}}
