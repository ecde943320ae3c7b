{{/* The scrape endpoint a ServiceMonitor or PodMonitor shares. */}}
{{- define "meshcert.monitorEndpoint" -}}
{{- $m := .Values.exporter.monitor -}}
path: /metrics
interval: {{ $m.interval }}
scrapeTimeout: {{ $m.scrapeTimeout }}
scheme: {{ ternary "https" "http" .Values.exporter.webConfig.tls }}
{{- with $m.tlsConfig }}
tlsConfig:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.basicAuth }}
basicAuth:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.relabelings }}
relabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with $m.metricRelabelings }}
metricRelabelings:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- end -}}
