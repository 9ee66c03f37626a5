#!/usr/bin/env bash
# update-openapi.sh regenerates the OpenAPI definitions the API server serves.
#
# Usage (from anywhere):  hack/update-openapi.sh
#
# It builds k8s.io/kube-openapi's openapi-gen at the version pinned in go.mod
# into a temporary directory (outside this module, so go.mod is untouched) and
# runs, from the repository root:
#
#   openapi-gen --output-dir internal/apiserver/openapi/generated \
#     --output-pkg github.com/capstan/capstan/internal/apiserver/openapi/generated \
#     --output-file zz_generated.openapi.go \
#     --go-header-file hack/boilerplate.go.txt \
#     --report-filename <tmp>/api-violations.list \
#     <the k8s.io/api and k8s.io/apimachinery packages listed below>
#
# The input packages already carry +k8s:openapi-gen=true and
# +k8s:openapi-model-package tags plus generated OpenAPIModelName methods, so
# the definitions are keyed by upstream's REST-friendly names
# (io.k8s.api.apps.v1.Deployment). API rule violations are written to a report
# file rather than failing the run: they are upstream's, not ours.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "${ROOT}"

OPENAPI_VERSION="$(go list -m -f '{{.Version}}' k8s.io/kube-openapi)"
TMP="$(mktemp -d)"
trap 'rm -rf "${TMP}"' EXIT

# go install pkg@version builds with kube-openapi's own go.mod.
GOBIN="${TMP}/bin" GOFLAGS=-buildvcs=false \
  go install "k8s.io/kube-openapi/cmd/openapi-gen@${OPENAPI_VERSION}"

API_GROUPS=(
  core/v1 apps/v1 batch/v1 autoscaling/v1 autoscaling/v2 coordination/v1
  discovery/v1 events/v1 networking/v1 policy/v1 rbac/v1 storage/v1
  scheduling/v1 node/v1 certificates/v1 authentication/v1 authorization/v1
  apidiscovery/v2
)
# Packages that are not served but that served types refer to (batch/v1
# JobSchedulingConfiguration uses scheduling/v1alpha3 workload types); the
# generated file must define everything it references.
REFERENCED_GROUPS=(
  scheduling/v1alpha3
)
PKGS=()
for gv in "${API_GROUPS[@]}" "${REFERENCED_GROUPS[@]}"; do
  PKGS+=("k8s.io/api/${gv}")
done
PKGS+=(
  k8s.io/apimachinery/pkg/apis/meta/v1
  k8s.io/apimachinery/pkg/runtime
  k8s.io/apimachinery/pkg/util/intstr
  k8s.io/apimachinery/pkg/api/resource
  k8s.io/apimachinery/pkg/version
)

OUT_DIR="internal/apiserver/openapi/generated"
"${TMP}/bin/openapi-gen" \
  --output-dir "${OUT_DIR}" \
  --output-pkg "github.com/capstan/capstan/${OUT_DIR}" \
  --output-file zz_generated.openapi.go \
  --go-header-file hack/boilerplate.go.txt \
  --report-filename "${TMP}/api-violations.list" \
  "${PKGS[@]}"

gofmt -l "${OUT_DIR}" | (! grep .) || { echo "generated code is not gofmt-clean" >&2; exit 1; }
# Every ref(...) must name a model; a Go path means a referenced package is missing above.
if grep -q 'ref("' "${OUT_DIR}/zz_generated.openapi.go"; then
  echo "generated definitions refer to packages not in the input list:" >&2
  grep -o 'ref("[^"]*")' "${OUT_DIR}/zz_generated.openapi.go" | sort -u >&2
  exit 1
fi
echo "wrote ${OUT_DIR}/zz_generated.openapi.go ($(grep -c '^func schema_' "${OUT_DIR}/zz_generated.openapi.go") definitions)"
