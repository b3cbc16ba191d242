{{- define "colo-ha.fullname" -}}
{{- if contains .Chart.Name .Release.Name -}}
{{- .Release.Name | trunc 50 | trimSuffix "-" -}}
{{- else -}}
{{- printf "%s-%s" .Release.Name .Chart.Name | trunc 50 | trimSuffix "-" -}}
{{- end -}}
{{- end -}}

{{- define "colo-ha.labels" -}}
app.kubernetes.io/name: {{ .Chart.Name }}
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
app.kubernetes.io/part-of: colo-ha
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* selector labels of one component: include "colo-ha.selector" (list . "coordinator") */}}
{{- define "colo-ha.selector" -}}
{{- $root := index . 0 -}}
app.kubernetes.io/name: {{ $root.Chart.Name }}
app.kubernetes.io/instance: {{ $root.Release.Name }}
app.kubernetes.io/component: {{ index . 1 }}
{{- end -}}

{{/* image of one module: include "colo-ha.image" (list . "replica-agent") */}}
{{- define "colo-ha.image" -}}
{{- $root := index . 0 -}}
{{- $img := $root.Values.image -}}
{{- if $img.registry -}}
{{- printf "%s/%s%s:%s" $img.registry $img.prefix (index . 1) $img.tag -}}
{{- else -}}
{{- printf "%s%s:%s" $img.prefix (index . 1) $img.tag -}}
{{- end -}}
{{- end -}}

{{- define "colo-ha.secretName" -}}
{{- default (printf "%s-token" (include "colo-ha.fullname" .)) .Values.security.existingSecret -}}
{{- end -}}

{{- define "colo-ha.coordinatorUrl" -}}
{{- printf "http://%s-coordinator:%v" (include "colo-ha.fullname" .) .Values.coordinator.port -}}
{{- end -}}

{{/* env every service has: the token from the Secret, JVM options, the pod IP */}}
{{- define "colo-ha.commonEnv" -}}
- name: COLO_SECURITY_TOKEN
  valueFrom:
    secretKeyRef:
      name: {{ include "colo-ha.secretName" . }}
      key: token
- name: JAVA_TOOL_OPTIONS
  value: {{ .Values.javaToolOptions | quote }}
{{- with .Values.logging.structuredFormat }}
- name: LOGGING_STRUCTURED_FORMAT_CONSOLE
  value: {{ . | quote }}
{{- end }}
- name: POD_IP
  valueFrom:
    fieldRef:
      fieldPath: status.podIP
{{- end -}}

{{/* probes on the actuator health groups of a port: include "colo-ha.probes" (list . 7700) */}}
{{- define "colo-ha.probes" -}}
{{- $root := index . 0 -}}
{{- $port := index . 1 -}}
startupProbe:
  httpGet: {path: /actuator/health/liveness, port: {{ $port }}}
  periodSeconds: {{ $root.Values.probes.startup.periodSeconds }}
  failureThreshold: {{ $root.Values.probes.startup.failureThreshold }}
livenessProbe:
  httpGet: {path: /actuator/health/liveness, port: {{ $port }}}
  initialDelaySeconds: {{ $root.Values.probes.liveness.initialDelaySeconds }}
  periodSeconds: {{ $root.Values.probes.liveness.periodSeconds }}
  failureThreshold: {{ $root.Values.probes.liveness.failureThreshold }}
readinessProbe:
  httpGet: {path: /actuator/health/readiness, port: {{ $port }}}
  periodSeconds: {{ $root.Values.probes.readiness.periodSeconds }}
  failureThreshold: {{ $root.Values.probes.readiness.failureThreshold }}
{{- end -}}

{{- define "colo-ha.containerSecurity" -}}
securityContext:
  allowPrivilegeEscalation: false
  readOnlyRootFilesystem: false
  capabilities: {drop: [ALL]}
  seccompProfile: {type: RuntimeDefault}
{{- end -}}

{{- define "colo-ha.serviceAccountName" -}}
{{- if .Values.serviceAccount.create -}}
{{- default (include "colo-ha.fullname" .) .Values.serviceAccount.name -}}
{{- else -}}
{{- default "default" .Values.serviceAccount.name -}}
{{- end -}}
{{- end -}}

{{/* pod-level settings every workload shares: account (no API token), pull secrets, security */}}
{{- define "colo-ha.podCommon" -}}
serviceAccountName: {{ include "colo-ha.serviceAccountName" . }}
automountServiceAccountToken: false
{{- with .Values.imagePullSecrets }}
imagePullSecrets: {{- toYaml . | nindent 2 }}
{{- end }}
securityContext:
  {{- toYaml .Values.podSecurityContext | nindent 2 }}
{{- end -}}
