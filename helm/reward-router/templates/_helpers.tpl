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

{{/*
Deep merge that lets src win, falsy values included (Sprig's mergeOverwrite skips "", 0 and false):
maps merge key by key, anything else (lists included) is replaced, null removes the key. Modifies
dst. Arg: dict dst, src.
*/}}
{{- define "rr.deepMerge" -}}
{{- $dst := .dst -}}
{{- range $k, $sv := (.src | default dict) -}}
{{- $dv := get $dst $k -}}
{{- if kindIs "invalid" $sv -}}
{{- $_ := unset $dst $k -}}
{{- else if and (kindIs "map" $sv) (kindIs "map" $dv) -}}
{{- include "rr.deepMerge" (dict "dst" $dv "src" $sv) -}}
{{- else -}}
{{- $_ := set $dst $k (deepCopy $sv) -}}
{{- end -}}
{{- end -}}
{{- end -}}

{{/* The router's text encoder directory (loop.json `encoder`) for encoder.source, or "" when off. */}}
{{- define "rr.encoderDir" -}}
{{- $e := .Values.encoder -}}
{{- if eq $e.source "image" -}}
{{- $e.imageDir -}}
{{- else if eq $e.source "fetch" -}}
{{- printf "%s/encoders/%s" $e.cacheDir $e.name -}}
{{- else if $e.source -}}
{{- fail (printf "encoder.source: must be \"\", \"image\" or \"fetch\", got %q" $e.source) -}}
{{- end -}}
{{- end -}}

{{/*
One scorer, resolved (JSON; read it with fromJson). Arg: dict root, s (an entry of .Values.scorers).
Its values are scorerDefaults with the entry merged over them; `config` is its loop.json entry:
loop.config.scorers[rm], then scorerDefaults.config, then the entry's config (later ones win, maps
merged), then what the chart mounts filled in where the config leaves it out: modelDir (the model
volume's mountPath), apiKeyEnv (RR_JUDGE_API_KEY, from apiKeySecret), tls.certFile/keyFile/caFile
(files of tlsSecret). Also: component (the Deployment's name part), keda (keda.* with the entry's
keda over it), scaled (KEDA scales it), maxReplicas (its most replicas: a PDB only above 1).
*/}}
{{- define "rr.scorer" -}}
{{- $v := .root.Values -}}
{{- $s := .s -}}
{{- $rm := required "scorers[].rm is required" $s.rm -}}
{{- $at := printf "scorers[%s]" ($rm | toJson) -}}
{{- range $old := list "backend" "endpoint" "modelPath" -}}
{{- if hasKey $s $old -}}
{{- fail (printf "%s.%s: moved into %s.config, the RM's loop.json entry (backend, url, modelDir, ...: helm/reward-router/README.md)" $at $old $at) -}}
{{- end -}}
{{- end -}}
{{- with $v.loop.config.arms -}}
{{- if not (has $rm .) -}}
{{- fail (printf "%s: not one of loop.config.arms (%s)" $at (join ", " .)) -}}
{{- end -}}
{{- end -}}
{{- $c := deepCopy $v.scorerDefaults -}}
{{- include "rr.deepMerge" (dict "dst" $c "src" $s) -}}
{{- range $k := list "model" "apiKeySecret" "tlsSecret" "keda" -}}
{{- if not (kindIs "map" (get $c $k)) -}}{{- $_ := set $c $k dict -}}{{- end -}}
{{- end -}}
{{- $cfg := dict -}}
{{- with $v.loop.config.scorers -}}{{- with index . $rm -}}{{- $cfg = deepCopy . -}}{{- end -}}{{- end -}}
{{- include "rr.deepMerge" (dict "dst" $cfg "src" $v.scorerDefaults.config) -}}
{{- include "rr.deepMerge" (dict "dst" $cfg "src" $s.config) -}}
{{- if hasKey $cfg "apiKey" -}}
{{- fail (printf "%s.config.apiKey: keys never go into loop.json; put the key in a Secret and name it in %s.apiKeySecret" $at $at) -}}
{{- end -}}
{{- $backend := $cfg.backend | default "" -}}
{{- /* The model: any volume, mounted read-only at config.modelDir (or modelDir set to where it is mounted). */ -}}
{{- if $c.model.volume -}}
{{- $mp := $c.model.mountPath | default $cfg.modelDir | default (printf "/models/%s" (include "rr.dnsPart" $rm)) -}}
{{- if not $cfg.modelDir -}}{{- $_ := set $cfg "modelDir" $mp -}}{{- end -}}
{{- if not (or (eq $cfg.modelDir $mp) (hasPrefix (printf "%s/" (trimSuffix "/" $mp)) $cfg.modelDir)) -}}
{{- fail (printf "%s.config.modelDir %q is not under model.mountPath %q" $at $cfg.modelDir $mp) -}}
{{- end -}}
{{- $_ := set $c.model "mountPath" $mp -}}
{{- end -}}
{{- if and (eq $backend "tfjs") (not $cfg.modelDir) -}}
{{- fail (printf "%s: a tfjs scorer needs config.modelDir or a model.volume" $at) -}}
{{- end -}}
{{- if and $cfg.modelDir (not (isAbs $cfg.modelDir)) -}}
{{- fail (printf "%s.config.modelDir %q: must be an absolute path (loop.json sits in a ConfigMap mount; relative paths resolve beside it)" $at $cfg.modelDir) -}}
{{- end -}}
{{- /* The API key: a Secret's key in the env var named by apiKeyEnv. */ -}}
{{- if $c.apiKeySecret.name -}}
{{- if ne $backend "judge" -}}
{{- fail (printf "%s.apiKeySecret: only a judge takes an API key (config.backend is %q)" $at $backend) -}}
{{- end -}}
{{- if not $cfg.apiKeyEnv -}}{{- $_ := set $cfg "apiKeyEnv" "RR_JUDGE_API_KEY" -}}{{- end -}}
{{- end -}}
{{- /* mTLS: the Secret mounted at tlsSecret.mountPath; its files fill config.tls. */ -}}
{{- $t := $c.tlsSecret -}}
{{- if $t.name -}}
{{- $tls := deepCopy ($cfg.tls | default dict) -}}
{{- range $pair := list (list "certFile" $t.certKey) (list "keyFile" $t.keyKey) (list "caFile" $t.caKey) -}}
{{- if and (index $pair 1) (not (get $tls (index $pair 0))) -}}
{{- $_ := set $tls (index $pair 0) (printf "%s/%s" (trimSuffix "/" (required (printf "%s.tlsSecret.mountPath is required" $at) $t.mountPath)) (index $pair 1)) -}}
{{- end -}}
{{- end -}}
{{- $_ := set $cfg "tls" $tls -}}
{{- end -}}
{{- if and $cfg.tls (ne (empty $cfg.tls.certFile) (empty $cfg.tls.keyFile)) -}}
{{- fail (printf "%s.config.tls: a client certificate needs both certFile and keyFile" $at) -}}
{{- end -}}
{{- if and (not $cfg) (not (hasKey $v.loop.config "sim")) -}}
{{- fail (printf "%s.config: no backend (without loop.config.sim every RM needs one: http, judge or tfjs; docs/scorers.md)" $at) -}}
{{- end -}}
{{- if $cfg -}}{{- $_ := set $c "config" $cfg -}}{{- else -}}{{- $_ := unset $c "config" -}}{{- end -}}
{{- $k := deepCopy $v.keda -}}
{{- include "rr.deepMerge" (dict "dst" $k "src" $c.keda) -}}
{{- $_ := set $c "keda" $k -}}
{{- $scaled := false -}}{{- if $k.enabled -}}{{- $scaled = true -}}{{- end -}}
{{- $_ := set $c "scaled" $scaled -}}
{{- $_ := set $c "maxReplicas" (ternary $k.maxReplicas $c.replicas $scaled) -}}
{{- $_ := set $c "component" (printf "scorer-%s" (include "rr.dnsPart" $rm)) -}}
{{- toJson $c -}}
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
{{- /* No OTEL_SERVICE_NAME: each process names itself reward-router-<app> (every scorer reward-router-scorer,
     its RM in the resource attribute rr.rm) with a service.instance.id, as the resource conventions define. */}}
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

{{/* The image reference: .image (repository, tag; either may be left out) over the chart's image. Arg: dict root, image. */}}
{{- define "rr.image" -}}
{{- $i := mergeOverwrite (deepCopy .root.Values.image) (.image | default dict) -}}
{{- printf "%s:%s" $i.repository $i.tag -}}
{{- end -}}

{{/*
One app Deployment. Arg: dict root, component (name), replicas (nil: left to an autoscaler), args
(list), and optionally image ({repository, tag} override), resources, nodeSelector, tolerations,
affinity, podAnnotations, env (list), envFrom (list), volumes (list), volumeMounts (list),
initContainers (list).
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
  {{- if not (kindIs "invalid" .replicas) }}
  replicas: {{ .replicas }}
  {{- end }}
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
        {{- with mergeOverwrite (deepCopy ($v.podAnnotations | default dict)) (.podAnnotations | default dict) }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
    spec:
      {{- with $v.imagePullSecrets }}
      imagePullSecrets:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      securityContext:
        {{- toYaml $v.podSecurityContext | nindent 8 }}
      {{- with .initContainers }}
      initContainers:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      containers:
        - name: {{ .component }}
          image: {{ include "rr.image" (dict "root" $root "image" .image) | quote }}
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
            {{- with .env }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
          {{- with .envFrom }}
          envFrom:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          ports:
            - name: health
              containerPort: {{ $v.health.port }}
              protocol: TCP
          {{- include "rr.probes" $root | nindent 10 }}
          {{- with .resources }}
          resources:
            {{- toYaml . | nindent 12 }}
          {{- end }}
          securityContext:
            {{- toYaml $v.securityContext | nindent 12 }}
          volumeMounts:
            {{- include "rr.volumeMounts" $root | nindent 12 }}
            {{- with .volumeMounts }}
            {{- toYaml . | nindent 12 }}
            {{- end }}
      {{- with .nodeSelector }}
      nodeSelector:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .tolerations }}
      tolerations:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      {{- with .affinity }}
      affinity:
        {{- toYaml . | nindent 8 }}
      {{- end }}
      volumes:
        {{- include "rr.volumes" $root | nindent 8 }}
        {{- with .volumes }}
        {{- toYaml . | nindent 8 }}
        {{- end }}
{{- end -}}

{{/* The PodDisruptionBudget apiVersion: policy/v1 from Kubernetes 1.21, policy/v1beta1 before. */}}
{{- define "rr.pdbApiVersion" -}}
{{- if semverCompare ">=1.21-0" .Capabilities.KubeVersion.Version -}}policy/v1{{- else -}}policy/v1beta1{{- end -}}
{{- end -}}
