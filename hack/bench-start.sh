#!/usr/bin/env bash
# Measures `capstan server` start to /readyz=200 (first start on an empty
# data dir, then a restart on the same dir) and idle RSS 10 s after start.
# Usage: hack/bench-start.sh [path/to/capstan]
set -euo pipefail
bin=${1:-bin/capstan}
dir=$(mktemp -d)
port=$((20000 + RANDOM % 10000))
trap 'kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; rm -rf "$dir"' EXIT

measure() {
	local label=$1 start end
	start=$(date +%s%N)
	"$bin" server --data-dir "$dir" --https-port "$port" --bind-address 127.0.0.1 --disable-agent 2>>"$dir/log" &
	pid=$!
	until curl -sfk "https://127.0.0.1:$port/readyz" >/dev/null 2>&1; do sleep 0.01; done
	end=$(date +%s%N)
	echo "$label: start to /readyz $(( (end - start) / 1000000 )) ms"
}

measure "first start"
sleep 10
echo "idle RSS after 10 s: $(awk '/VmRSS/ {print int($2/1024)}' "/proc/$pid/status") MB"
kill -TERM "$pid"; wait "$pid" || true
measure "restart"
kill -TERM "$pid"; wait "$pid" || true
