#!/usr/bin/env bash
# Installs what the browser driver needs, once: Debian's chromium (through
# scripts/setup.sh's rule: as root with apt-get) and puppeteer-core from npm
# (the version in package.json; it never downloads a browser), and the npm
# packages of deploy/check.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "browser: chromium is missing; install it with: sudo apt-get install -y chromium" >&2
        exit 1
    fi
    echo "browser: installing chromium" >&2
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq >/dev/null
    apt-get install -y -qq --no-install-recommends chromium >/dev/null
fi
if [ ! -d "$here/node_modules/puppeteer-core" ]; then
    echo "browser: installing puppeteer-core" >&2
    (cd "$here" && PUPPETEER_SKIP_DOWNLOAD=1 npm install --no-audit --no-fund --loglevel=error >&2)
fi
# The offline check of deploy/ (YAML parser and the Kubernetes API schemas) is node too.
check="$here/../../deploy/check"
if [ ! -d "$check/node_modules/kubernetes-models" ]; then
    echo "deploy check: installing yaml and kubernetes-models" >&2
    (cd "$check" && npm install --no-audit --no-fund --loglevel=error >&2)
fi
