#!/usr/bin/env bash
# Builds the pause program embedded in internal/kubelet/images into
# internal/kubelet/images/pause/pause-linux-<arch> (static, stripped,
# reproducible). Run it after changing pause/main.go and commit the result.
# Usage: hack/build-pause.sh [arch ...]   (default: amd64)
set -euo pipefail
export PATH=/usr/local/go/bin:$PATH
cd "$(dirname "$0")/.."
archs=("$@")
[ ${#archs[@]} -gt 0 ] || archs=(amd64)
for arch in "${archs[@]}"; do
	out=internal/kubelet/images/pause/pause-linux-$arch
	CGO_ENABLED=0 GOOS=linux GOARCH=$arch go build -trimpath -buildvcs=false \
		-ldflags "-s -w -buildid=" -o "$out" ./internal/kubelet/images/pause
	echo "$out: $(stat -c %s "$out") bytes"
done
