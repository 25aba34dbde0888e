#!/usr/bin/env bash
# Installs what this project needs and a fresh Debian 12 machine lacks: the
# libbpf headers (libbpf-dev) to compile bpf/, plus clang and the libbpf
# runtime where they are missing. As root it installs them with apt-get;
# otherwise it prints the one command to run.
set -euo pipefail

missing=()
[ -f /usr/include/bpf/bpf_helpers.h ] || missing+=(libbpf-dev)
ls /usr/lib/*/libbpf.so.1 >/dev/null 2>&1 || missing+=(libbpf1)
command -v clang-14 >/dev/null 2>&1 || command -v clang >/dev/null 2>&1 || missing+=(clang)
command -v tc >/dev/null 2>&1 || missing+=(iproute2)
command -v setpriv >/dev/null 2>&1 || missing+=(util-linux)

if ! command -v dotnet >/dev/null 2>&1; then
    echo "setup: the .NET 10 SDK is needed (dotnet on PATH); see https://learn.microsoft.com/dotnet/core/install/linux-debian" >&2
    exit 1
fi

if [ ${#missing[@]} -eq 0 ]; then
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
