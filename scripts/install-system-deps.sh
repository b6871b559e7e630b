#!/usr/bin/env bash
# Installs the Debian packages podpath's tests use that npm cannot provide:
# the kernel's own tools (iproute2, iptables, conntrack, ipset) for the lab and the
# netfilter oracle tests, PostgreSQL and dnsmasq for the lab's real services, Chromium for the
# HTML report's browser tests, zsh and fish to judge the shell completion scripts.
# Idempotent: installs only what is missing. Needs root for apt-get; without
# root it says what is missing and leaves it (tests that need it say so too).
set -euo pipefail
declare -A need=(
  [ip]=iproute2
  [iptables]=iptables
  [iptables-restore]=iptables
  [conntrack]=conntrack
  [dnsmasq]=dnsmasq
  [pg_ctlcluster]=postgresql
  [psql]=postgresql-client
  [ping]=iputils-ping
  [ipset]=ipset
  [chromium]=chromium
  [nft]=nftables
  [zsh]=zsh
  [fish]=fish
)
missing=()
for cmd in "${!need[@]}"; do
  command -v "$cmd" >/dev/null 2>&1 || [ -x "/usr/sbin/$cmd" ] || missing+=("${need[$cmd]}")
done
[ ${#missing[@]} -eq 0 ] && exit 0
mapfile -t packages < <(printf '%s\n' "${missing[@]}" | sort -u)
if [ "$(id -u)" -ne 0 ]; then
  echo "install-system-deps: missing ${packages[*]}; run this script as root to install them" >&2
  exit 0
fi
echo "install-system-deps: installing ${packages[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${packages[@]}" >/dev/null
