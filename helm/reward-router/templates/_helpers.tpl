{{- define "rr.fullname" -}}
{{- printf "%s" .Release.Name | trunc 40 | trimSuffix "-" -}}
{{- end -}}

{{- define "rr.labels" -}}
app.kubernetes.io/name: reward-router
app.kubernetes.io/instance: {{ .Release.Name }}
app.kubernetes.io/version: {{ .Chart.AppVersion | quote }}
app.kubernetes.io/managed-by: {{ .Release.Service }}
helm.sh/chart: {{ printf "%s-%s" .Chart.Name .Chart.Version }}
{{- end -}}

{{/* A DNS-1123 name part from an RM id or topic name: lower case, [a-z0-9-], at most 40 characters. */}}
{{- define "rr.dnsPart" -}}
{{- regexReplaceAll "[^a-z0-9-]+" (lower .) "-" | trunc 40 | trimSuffix "-" | trimPrefix "-" -}}
{{- end -}}

{{/* Env of every app: brokers, Kafka security by reference, OpenTelemetry. Arg: dict root, component. */}}
{{- define "rr.env" -}}
{{- $v := .root.Values -}}
- name: KAFKA_BROKERS
  value: {{ $v.kafka.brokers | quote }}
- name: POD_NAME
  valueFrom:
    fieldRef:
      fieldPath: metadata.name
{{- if $v.kafka.tls.enabled }}
- name: KAFKA_SSL
  value: "true"
{{- if $v.kafka.tls.caSecret.name }}
- name: KAFKA_SSL_CA_FILE
  value: /etc/reward-router/kafka-ca/{{ $v.kafka.tls.caSecret.key }}
{{- end }}
{{- end }}
{{- if $v.kafka.sasl.mechanism }}
- name: KAFKA_SASL_MECHANISM
  value: {{ $v.kafka.sasl.mechanism | quote }}
- name: KAFKA_SASL_USERNAME
  value: {{ required "kafka.sasl.username is required with a SASL mechanism" $v.kafka.sasl.username | quote }}
- name: KAFKA_SASL_PASSWORD_FILE
  value: /etc/reward-router/kafka-sasl/{{ $v.kafka.sasl.passwordSecret.key }}
{{- end }}
{{- if $v.otel.enabled }}
- name: OTEL_SERVICE_NAME
  value: {{ printf "reward-router-%s" .component | quote }}
- name: OTEL_EXPORTER_OTLP_ENDPOINT
  value: {{ required "otel.endpoint is required when otel.enabled" $v.otel.endpoint | quote }}
- name: OTEL_EXPORTER_OTLP_PROTOCOL
  value: {{ $v.otel.protocol | quote }}
- name: OTEL_RESOURCE_ATTRIBUTES
  value: {{ printf "service.namespace=%s,k8s.pod.name=$(POD_NAME)%s" .root.Release.Namespace (ternary (printf ",%s" $v.otel.resourceAttributes) "" (ne $v.otel.resourceAttributes "")) | quote }}
{{- end }}
{{- end -}}

{{- define "rr.volumeMounts" -}}
- name: loop
  mountPath: /etc/reward-router/loop
  readOnly: true
- name: tmp
  mountPath: /tmp
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  mountPath: /etc/reward-router/kafka-ca
  readOnly: true
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: kafka-sasl
  mountPath: /etc/reward-router/kafka-sasl
  readOnly: true
{{- end }}
{{- end -}}

{{- define "rr.volumes" -}}
- name: loop
  projected:
    sources:
      - configMap:
          name: {{ include "rr.fullname" . }}-loop
      - configMap:
          name: {{ .Values.loop.priorConfigMap }}
          items:
            - key: prior.json
              path: prior.json
- name: tmp
  emptyDir: {}
{{- if and .Values.kafka.tls.enabled .Values.kafka.tls.caSecret.name }}
- name: kafka-ca
  secret:
    secretName: {{ .Values.kafka.tls.caSecret.name }}
{{- end }}
{{- if .Values.kafka.sasl.mechanism }}
- name: kafka-sasl
  secret:
    secretName: {{ required "kafka.sasl.passwordSecret.name is required with a SASL mechanism" .Values.kafka.sasl.passwordSecret.name }}
{{- end }}
{{- end -}}

{{/* Probes on the app's own health server (src/health/). */}}
{{- define "rr.probes" -}}
livenessProbe:
  httpGet:
    path: /healthz
    port: health
  initialDelaySeconds: 10
  periodSeconds: 10
  failureThreshold: 3
readinessProbe:
  httpGet:
    path: /readyz
    port: health
  periodSeconds: 5
  failureThreshold: 2
startupProbe:
  httpGet:
    path: /healthz
    port: health
  periodSeconds: 5
  failureThreshold: 60
{{- end -}}

{{/*
One app Deployment. Arg: dict root, component (name), replicas, args (list), resources, nodeSelector,
tolerations, extraEnv (list of {name,value}).
*/}}
{{- define "rr.deployment" -}}
{{- $root := .root -}}
{{- $v := $root.Values -}}
apiVersion: apps/v1
kind: Deployment
metadata:
  name: {{ include "rr.fullname" $root }}-{{ .component }}
  labels:
    {{- include "rr.labels" $root | nindent 4 }}
    app.kubernetes.io/component: {{ .component }}
spec:
  replicas: {{ .replicas }}
  selector:
    matchLabels:
      app.kubernetes.io/instance: {{ $root.Release.Name }}
      app.kubernetes.io/component: {{ .component }}
  template:
    metadata:
      labels:
        {{- include "rr.labels" $root | nindent 8 }}
        app.kubernetes.io/component: {{ .component }}
      annotations:
        checksum/loop: {{ include (print $root.Template.BasePath "/configmap.yaml") $root | sha256sum }}
        {{- with $v.podAnnotations }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      containers:
        - name: {{ .component }}
          image: {{ printf "%s:%s" $v.image.repository $v.image.tag | quote }}
          imagePullPolicy: {{ $v.image.pullPolicy }}
          args:
            {{- toYaml .args | nindent 12 }}
            - --config
            - /etc/reward-router/loop/loop.json
            - --brokers
            - $(KAFKA_BROKERS)
            - --health-port
            - {{ $v.health.port | quote }}
            - --ready-max-lag
            - {{ $v.health.readyMaxLag | quote }}
          env:
            {{- include "rr.env" (dict "root" $root "component" .component) | nindent 12 }}
            {{- with .extraEnv }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          ports:
            - name: health
              containerPort: {{ $v.health.port }}
              protocol: TCP
          {{- include "rr.probes" $root | nindent 10 }}
          resources:
            {{- toYaml .resources | nindent 12 }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "rr.volumeMounts" $root | nindent 12 }}
      {{- with .nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumes:
        {{- include "rr.volumes" $root | nindent 8 }}
{{- end -}}
