{{/* The release's full name: the release name when it already says meshcert. */}}
{{- define "meshcert.fullname" -}}
{{- if .Values.fullnameOverride -}}
{{- .Values.fullnameOverride | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- $name := default .Chart.Name .Values.nameOverride -}}
{{- if contains $name .Release.Name -}}
{{- .Release.Name | trunc 63 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name $name | trunc 63 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "meshcert.name" -}}
{{- default .Chart.Name .Values.nameOverride | trunc 63 | trimSuffix "-" -}}
{{- end -}}

{{- define "meshcert.selectorLabels" -}}
app.kubernetes.io/name: {{ include "meshcert.name" . }}
app.kubernetes.io/instance: {{ .Release.Name }}
{{- end -}}

{{- define "meshcert.labels" -}}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version | replace "+" "_" }}
{{ include "meshcert.selectorLabels" . }}
app.kubernetes.io/version: {{ .Values.image.tag | default .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
{{- with .Values.commonLabels }}
{{ toYaml . }}
{{- end }}
{{- end -}}

{{- define "meshcert.serviceAccountName" -}}
{{- default (include "meshcert.fullname" .) .Values.serviceAccount.name -}}
{{- end -}}

{{- define "meshcert.image" -}}
{{- printf "%s:%s" .Values.image.repository (.Values.image.tag | default .Chart.AppVersion) -}}
{{- end -}}

{{/* The ServiceAccount every RoleBinding names. */}}
{{- define "meshcert.subject" -}}
subjects:
  - kind: ServiceAccount
    name: {{ include "meshcert.serviceAccountName" . }}
    namespace: {{ .Release.Namespace }}
{{- end -}}

{{/*
Whether an extension's Role is rendered: "true" or "". auto renders it when helm reaches no
cluster (helm template, GitOps) and, when it does, only where the namespace exists.
*/}}
{{- define "meshcert.extension" -}}
{{- $ctx := index . 0 -}}
{{- $setting := toString (index . 1) -}}
{{- $namespace := index . 2 -}}
{{- if eq $setting "true" -}}
true
{{- else if eq $setting "auto" -}}
{{- $reached := lookup "v1" "Namespace" "" "kube-system" -}}
{{- if or (not $reached) (lookup "v1" "Namespace" "" $namespace) -}}
true
{{- end -}}
{{- end -}}
{{- end -}}

{{- define "meshcert.cronjobEnabled" -}}
{{- if has .Values.mode (list "cronjob" "both") }}true{{ end -}}
{{- end -}}
{{- define "meshcert.exporterEnabled" -}}
{{- if has .Values.mode (list "exporter" "both") }}true{{ end -}}
{{- end -}}

{{/* The arguments both modes pass after the subcommand. */}}
{{- define "meshcert.commonArgs" -}}
{{- if ne .Values.linkerd.namespace "linkerd" }}
- --linkerd-namespace={{ .Values.linkerd.namespace }}
{{- end }}
{{- if ne .Values.linkerd.trustNamespace "cert-manager" }}
- --trust-namespace={{ .Values.linkerd.trustNamespace }}
{{- end }}
- --timeout={{ .Values.timeout }}
{{- if .Values.policy }}
- --config=/etc/meshcert/policy/meshcert.toml
{{- end }}
{{- if .Values.fleet.kubeconfigSecret }}
- --kubeconfig=/etc/meshcert/kubeconfig/{{ .Values.fleet.kubeconfigKey }}
{{- if .Values.fleet.allContexts }}
- --all-contexts
{{- end }}
{{- range .Values.fleet.contexts }}
- --context={{ . }}
{{- end }}
{{- end }}
{{- range .Values.extraArgs }}
- {{ . | quote }}
{{- end }}
{{- end -}}

{{/* The volumes both modes mount (policy, kubeconfig, web config). */}}
{{- define "meshcert.volumeMounts" -}}
{{- if .Values.policy }}
- name: policy
  mountPath: /etc/meshcert/policy
  readOnly: true
{{- end }}
{{- if .Values.fleet.kubeconfigSecret }}
- name: kubeconfig
  mountPath: /etc/meshcert/kubeconfig
  readOnly: true
{{- end }}
{{- end -}}

{{- define "meshcert.volumes" -}}
{{- if .Values.policy }}
- name: policy
  configMap:
    name: {{ include "meshcert.fullname" . }}-policy
{{- end }}
{{- if .Values.fleet.kubeconfigSecret }}
- name: kubeconfig
  secret:
    secretName: {{ .Values.fleet.kubeconfigSecret }}
{{- end }}
{{- end -}}

{{/* What the pods of both modes share below their containers. */}}
{{- define "meshcert.podScheduling" -}}
{{- with .Values.imagePullSecrets }}
imagePullSecrets:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.nodeSelector }}
nodeSelector:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.tolerations }}
tolerations:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.affinity }}
affinity:
  {{- toYaml . | nindent 2 }}
{{- end }}
{{- with .Values.priorityClassName }}
priorityClassName: {{ . }}
{{- end }}
{{- end -}}
