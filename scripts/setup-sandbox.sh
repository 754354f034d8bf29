#!/usr/bin/env bash
# Installs bubblewrap (Debian package `bubblewrap`), the best sandbox for running model-written code on Linux
# (src/core/verify/isolation.ts), and checks that it works here: some containers forbid the namespaces it needs,
# and then the checks use `unshare` or a plain process instead (the tests cover each path).
#
# Idempotent: does nothing when bwrap is already installed. Not Linux, not Debian, or MODEL_ROUTER_SKIP_APT=1: says
# so and exits 0 (bubblewrap is optional).
set -euo pipefail

log() { printf 'setup-sandbox: %s\n' "$*"; }

if [[ "$(uname -s)" != Linux ]]; then
  log "not Linux: nothing to install (macOS uses sandbox-exec)"
  exit 0
fi
if ! command -v bwrap >/dev/null; then
  if [[ "${MODEL_ROUTER_SKIP_APT:-}" == 1 ]] || ! command -v apt-get >/dev/null; then
    log "bubblewrap is not installed and apt is skipped or missing: install the bubblewrap package yourself"
    exit 0
  fi
  sudo=()
  if [[ "$(id -u)" != 0 ]]; then
    command -v sudo >/dev/null || { log "not root and no sudo: install the Debian package bubblewrap yourself"; exit 0; }
    sudo=(sudo)
  fi
  log "installing bubblewrap"
  export DEBIAN_FRONTEND=noninteractive
  "${sudo[@]}" apt-get install -y -q bubblewrap || { "${sudo[@]}" apt-get update -q && "${sudo[@]}" apt-get install -y -q bubblewrap; }
fi
if bwrap --ro-bind / / --dev /dev --proc /proc --unshare-all --die-with-parent -- /bin/true 2>/dev/null; then
  log "bubblewrap works here ($(bwrap --version))"
else
  log "bubblewrap is installed but cannot create namespaces here: the checks will use unshare or a plain process"
fi
