#!/usr/bin/env bash
# Installs, with apt-get, the Debian packages Capstan's tests and a node need.
# Idempotent: packages already installed are skipped, and nothing is fetched
# when all are present. Run as root on Debian 12. Go (/usr/local/go) and the
# kubectl binaries (/usr/lib/google-cloud-sdk/bin) come with the machine.
set -euo pipefail

packages=(
	containerd                  # container runtime the node agent drives through CRI
	runc                        # OCI runtime under containerd
	containernetworking-plugins # CNI plugins: bridge, host-local, portmap, loopback
	iptables                    # CNI portmap and masquerade
	nftables                    # service proxy and network policy rules
	busybox-static              # test images are built from it at test time
)

installed() {
	[ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null)" = "install ok installed" ]
}

missing=()
for p in "${packages[@]}"; do
	if ! installed "$p"; then
		missing+=("$p")
	fi
done

if [ "${#missing[@]}" -eq 0 ]; then
	echo "install-deps: all packages present"
	exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: need root to install: ${missing[*]}" >&2
	exit 1
fi

echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
