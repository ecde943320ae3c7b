{{/*
The alert rules of files/rules.yaml (its groups), with each $(threshold) marker replaced by
prometheusRule.thresholds and $(job) by the exporter's scrape job (a ServiceMonitor's
<fullname>, a PodMonitor's <namespace>/<fullname>).
*/}}
{{- define "meshcert.rules" -}}
{{- $rules := .Files.Get "files/rules.yaml" -}}
{{- $rules = regexReplaceAll "(?s)^.*?\ngroups:" $rules "groups:" -}}
{{- range $name, $value := .Values.prometheusRule.thresholds -}}
{{- $rules = replace (printf "$(%s)" $name) (toString $value) $rules -}}
{{- end -}}
{{- $job := include "meshcert.fullname" . -}}
{{- $rules = replace "$(job)" (printf "%s|%s/%s" $job .Release.Namespace $job) $rules -}}
{{- if contains "$(" $rules -}}
{{- fail (printf "files/rules.yaml names a threshold that prometheusRule.thresholds lacks: %s" (regexFind "\\$\\([^)]*\\)" $rules)) -}}
{{- end -}}
{{- $rules -}}
{{- end -}}
