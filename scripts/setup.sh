#!/usr/bin/env bash
# Installs what this project needs and a fresh Debian 12 machine lacks: the
# libbpf headers (libbpf-dev) to compile bpf/, plus clang and the libbpf
# runtime where they are missing, chromium and the npm package that drives it. As root it installs them with apt-get;
# otherwise it prints the one command to run.
set -euo pipefail

missing=()
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)
ls /usr/lib/*/libbpf.so.1 >/dev/null 2>&1 || missing+=(libbpf1)
command -v clang-14 >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v tc >/dev/null 2>&1 || missing+=(iproute2)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)
# The TLS tests drive real clients: curl, openssl s_client and Python's ssl module.
command -v curl >/dev/null 2>&1 || missing+=(curl)
# The retransmission rule test drops segments on a veth path with nftables (the kernel has no netem here).
command -v nft >/dev/null 2>&1 || missing+=(nftables)
command -v openssl >/dev/null 2>&1 || missing+=(openssl)
command -v python3 >/dev/null 2>&1 || missing+=(python3)
# The browser test and scripts/screenshots.sh look at pages in Debian's chromium.
# SETUP_NO_BROWSER=1 (the Dockerfile's build stage) leaves them out.
if [ -z "${SETUP_NO_BROWSER:-}" ]; then
    command -v chromium >/dev/null 2>&1 || missing+=(chromium)
fi

if ! command -v dotnet >/dev/null 2>&1; then
    echo "setup: the .NET 10 SDK is needed (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 1
fi

# puppeteer-core from npm drives that chromium (it never downloads a browser).
browser_driver() { [ -n "${SETUP_NO_BROWSER:-}" ] || "$(dirname "$0")/browser/install.sh"; }

if [ ${#missing[@]} -eq 0 ]; then
    browser_driver
    exit 0
fi

if [ "$(id -u)" -ne 0 ]; then
    echo "setup: missing ${missing[*]}; install them with: sudo apt-get install -y ${missing[*]}" >&2
    exit 1
fi

echo "setup: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq >/dev/null
apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
browser_driver
