#!/usr/bin/env bash
# The naive equivalent of meshcert's data-plane check with jq: every meshed pod outside the
# control-plane namespace whose proxy trust bundle differs from the trust roots (trimmed strings,
# as `linkerd check` compares them). Usage: benches/jq-naive.sh CA-BUNDLE.PEM PODS.json
set -euo pipefail
bundle=$(cat "$1")
jq -r --arg bundle "$bundle" '
  def trim: sub("^\\s+"; "") | sub("\\s+$"; "");
  .items[]
  | select(.metadata.labels["linkerd.io/control-plane-ns"] != null)
  | select(.metadata.namespace != "linkerd")
  | . as $pod
  | [(.spec.initContainers // [])[], (.spec.containers // [])[]]
  | map(select(.name == "linkerd-proxy")) | first // empty
  | (.env // []) | map(select(.name == "LINKERD2_PROXY_IDENTITY_TRUST_ANCHORS")) | first // empty
  | select((.value // "" | trim) != ($bundle | trim))
  | "\($pod.metadata.namespace)/\($pod.metadata.name)"
' "$2"
