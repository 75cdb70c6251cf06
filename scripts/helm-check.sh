#!/usr/bin/env bash
# CI check of helm/reward-router, offline: helm lint and helm template of the default values, the GPU
# example and ci/values-real.yaml (an HTTP RM over mTLS, a judge with its key from a Secret, a tfjs RM
# with a model volume); plain `helm template` without --kube-version (the client's default Kubernetes
# version must satisfy the chart's kubeVersion); validation of every rendered manifest against the
# Kubernetes JSON schemas with kubeconform (KEDA and Strimzi CRDs have no schema here and are skipped);
# scripts/helm-assert.mjs (probes, PDBs only where more than one pod runs, no replicas under KEDA, GPUs
# only for the tfjs scorer, posteriors compacted); then test/unit/helm-chart.test.ts with this helm
# (the rendered loop.json passes the apps' loadSettings, each scorer Deployment provides what its
# config names).
#
# Tools are built from the Go module proxy into a cache outside the repository
# ($RR_TOOLS_DIR, default ~/.cache/reward-router/tools) and reused: a second run builds nothing.
# The schemas come from the PyPI package kubernetes-validate (wheel kept in the same cache), with
# their "/api/_definitions.json" references rewritten to file:// URLs of the local file.
# Usage: scripts/helm-check.sh [tools]
set -euo pipefail
cd "$(dirname "$0")/.."

HELM_VERSION=v3.22.0
KUBECONFORM_VERSION=v0.8.0
KV_VERSION=1.37.0
K8S_VERSION=1.33.0
TOOLS="${RR_TOOLS_DIR:-$HOME/.cache/reward-router/tools}"
BIN="$TOOLS/bin"
mkdir -p "$BIN"

build() { # build NAME MODULE@VERSION: go install into $BIN unless the stamped version is there
  local name="$1" mod="$2"
  if [ -x "$BIN/$name" ] && [ "$(cat "$BIN/.$name.version" 2>/dev/null)" = "$mod" ]; then
    echo "$name: cached ($mod)"
    return 0
  fi
  command -v go >/dev/null || { echo "go is needed to build $name"; return 1; }
  echo "$name: building $mod (helm takes about 5 min on 2 cores)"
  GOBIN="$BIN" GOFLAGS="${GOFLAGS:-} -trimpath" go install "$mod"
  echo "$mod" > "$BIN/.$name.version"
}

build kubeconform "github.com/yannh/kubeconform/cmd/kubeconform@$KUBECONFORM_VERSION"
build helm "helm.sh/helm/v3/cmd/helm@$HELM_VERSION"
# `helm-check.sh tools`: only build the tools (.ci/run starts that in the background early).
[ "${1:-}" = "tools" ] && exit 0

SCHEMAS="$TOOLS/k8s-schemas/v$K8S_VERSION-strict-file-refs"
if [ ! -f "$SCHEMAS/.ready" ]; then
  wheel_dir="$TOOLS/wheels"
  mkdir -p "$wheel_dir"
  wheel="$(ls "$wheel_dir"/kubernetes_validate-"$KV_VERSION"-*.whl 2>/dev/null | head -1 || true)"
  if [ -z "$wheel" ]; then
    python3 -m pip download --quiet --disable-pip-version-check --no-deps --only-binary=:all: "kubernetes-validate==$KV_VERSION" -d "$wheel_dir"
    wheel="$(ls "$wheel_dir"/kubernetes_validate-"$KV_VERSION"-*.whl | head -1)"
  fi
  tmp="$(mktemp -d)"
  python3 -m zipfile -e "$wheel" "$tmp"
  rm -rf "$SCHEMAS" && mkdir -p "$SCHEMAS"
  cp "$tmp/kubernetes_validate/kubernetes-json-schema/v$K8S_VERSION-local-strict/"*.json "$SCHEMAS/"
  rm -rf "$tmp"
  # The package's references are server paths ("/api/_definitions.json#..."); kubeconform resolves
  # neither those nor relative ones for local files, so point them at the local file by file:// URL.
  sed -i "s#\"/api/_definitions.json#\"file://$SCHEMAS/_definitions.json#g" "$SCHEMAS"/*.json
  touch "$SCHEMAS/.ready"
  echo "schemas: $(ls "$SCHEMAS" | wc -l) files for Kubernetes $K8S_VERSION in $SCHEMAS"
else
  echo "schemas: cached ($SCHEMAS)"
fi

CHART=helm/reward-router
OUT="${RR_HELM_OUT:-$(mktemp -d)}"
mkdir -p "$OUT"
declare -A VALUES=([default]="" [gpu]="-f $CHART/values-gpu.yaml" [real]="-f $CHART/ci/values-real.yaml")
for f in default gpu real; do
  # shellcheck disable=SC2086
  "$BIN/helm" lint --strict --kube-version "$K8S_VERSION" "$CHART" ${VALUES[$f]}
  # shellcheck disable=SC2086
  "$BIN/helm" template rr "$CHART" --kube-version "$K8S_VERSION" ${VALUES[$f]} > "$OUT/$f.yaml"
done
# The client's defaults: no --kube-version (a helm built by `go install` assumes Kubernetes v1.20).
"$BIN/helm" lint --strict "$CHART" > /dev/null
for f in default real; do
  # shellcheck disable=SC2086
  "$BIN/helm" template rr "$CHART" ${VALUES[$f]} > "$OUT/$f-client-default.yaml"
  echo "helm template without --kube-version ($f): $(grep -c '^kind:' "$OUT/$f-client-default.yaml") manifests, PodDisruptionBudget apiVersion: $(grep -B1 '^kind: PodDisruptionBudget' "$OUT/$f-client-default.yaml" | grep -m1 -o 'policy/[a-z0-9]*' || echo none)"
done
for f in default gpu real; do
  echo "kubeconform: $f"
  "$BIN/kubeconform" -strict -summary -kubernetes-version "$K8S_VERSION" \
    -schema-location "$SCHEMAS/{{ .ResourceKind }}{{ .KindSuffix }}.json" \
    -skip ScaledObject,KafkaTopic "$OUT/$f.yaml"
done
node scripts/helm-assert.mjs "$OUT/default.yaml" "$OUT/gpu.yaml" "$OUT/real.yaml"
RR_HELM="$BIN/helm" RR_HELM_REQUIRED=1 node scripts/test.mjs --unit helm-chart helm-values
