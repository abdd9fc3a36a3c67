#!/usr/bin/env bash
# One-time, idempotent set-up for running VS Code headless (code-server + Debian Chromium).
#
#   bash scripts/setup-headless.sh
#   bash scripts/setup-headless.sh --undo   # removes what step 4 changed system-wide
#
# It:
#   1. installs the Debian packages chromium, libkrb5-dev, ripgrep and fonts-liberation (and a C++ tool chain
#      if missing) when they are not installed yet (needs root; otherwise it says what to run);
#   2. seeds @vscode/ripgrep's download cache from Debian's `rg`, so code-server's install
#      does not try to download ripgrep;
#   3. installs two real VS Codes (code-server), each into .vscode-test/code-server-VERSION/ with
#      its own package.json, outside the project's dependency tree: the engine floor (the
#      VS Code of engines.vscode in package.json) and the current release; a release that needs
#      another Node.js than this machine's gets that Node from the npm package node-linux-<arch>
#      in the same folder. It checks that the native modules load, and writes
#      .vscode-test/code-servers.json, which tells test/launch/headless.ts what to start;
#   4. (root) makes portal.b24.test resolve to 127.0.0.1 and creates a throwaway CA trusted by the
#      system store, for the HTTPS sandbox portal of the end-to-end suite (test/e2e/).
# A re-run only checks and prints what is already in place (a few seconds).
#
# Environment overrides:
#   B24_SETUP_FORCE=1     reinstall code-server even if the install looks complete
#   B24_SKIP_TEST_HOST=1  skip step 4 (the /etc/hosts entry and the throwaway CA)
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
# The VS Codes the host and end-to-end suites run on (code-server X.Y.Z bundles VS Code 1.Y.Z).
# The floor is the oldest VS Code that package.json's engines.vscode admits (checked below).
# To move to the next release, change CURRENT_CODE_SERVER: nothing else names it.
FLOOR_CODE_SERVER="4.99.3"
CURRENT_CODE_SERVER="4.139.1"
VSCODE_TEST_DIR="$ROOT/.vscode-test"
RG_PKG_VERSION="1.15.11"      # the @vscode/ripgrep version that code-server 4.99.3 ships
RG_ASSET_VERSION="v13.0.0-10" # the ripgrep-prebuilt release that @vscode/ripgrep 1.15.11 wants

log() { echo "[setup-headless] $*"; }
die() { echo "[setup-headless] ERROR: $*" >&2; exit 1; }
trap 'rc=$?; [ $rc -eq 0 ] || echo "[setup-headless] FAILED (exit $rc)" >&2' EXIT

SECONDS=0

# The only system-wide changes (step 4) and their undo. They cannot be scoped to the test
# processes: the extension host resolves the portal's name through the system resolver and
# trusts only the system store (see step 4), so both live in /etc.
TEST_HOST="portal.b24.test"
HOSTS_MARKER="# bitrix24-task-counters e2e sandbox (scripts/setup-headless.sh)"
SYSTEM_CA_FILE="/usr/local/share/ca-certificates/b24-sandbox-test-ca.crt"
if [ "${1:-}" = "--undo" ]; then
  [ "$(id -u)" = 0 ] || die "--undo edits /etc/hosts and the CA store: run it as root"
  if grep -qF "$HOSTS_MARKER" /etc/hosts; then
    # Rewritten in place, not replaced: /etc/hosts is often a bind mount in containers.
    kept="$(grep -vF "$HOSTS_MARKER" /etc/hosts)"
    printf '%s\n' "$kept" >/etc/hosts
    log "undo: removed the $TEST_HOST line from /etc/hosts"
  fi
  if [ -f "$SYSTEM_CA_FILE" ]; then
    rm -f "$SYSTEM_CA_FILE"
    update-ca-certificates --fresh >/dev/null 2>&1 || die "update-ca-certificates failed"
    log "undo: removed the throwaway test CA from the system store"
  fi
  log "undo: done (Debian packages and .vscode-test/ stay; remove .vscode-test/ to drop code-server)"
  trap - EXIT
  exit 0
fi

# ---------------------------------------------------------------------------------------------
# 0. Node.js and npm (this machine's: the project builds and tests on them; a code-server that
#    needs another Node gets its own in step 3).
# ---------------------------------------------------------------------------------------------
command -v node >/dev/null || die "node is not on PATH"
command -v npm >/dev/null || die "npm is not on PATH"
NODE_MAJOR="$(node -p 'process.versions.node.split(".")[0]')"
log "node $(node -v), npm $(npm -v)"

# ---------------------------------------------------------------------------------------------
# 1. Debian packages.
# ---------------------------------------------------------------------------------------------
is_installed() { dpkg-query -W -f='${Status}' "$1" 2>/dev/null | grep -q 'install ok installed'; }

want=(chromium libkrb5-dev ripgrep fonts-liberation)  # fonts: readable screenshots
# Tool chain for node-gyp (kerberos, node-pty, spdlog ... are built from source).
command -v make >/dev/null || want+=(make)
command -v g++ >/dev/null || want+=(g++)
command -v python3 >/dev/null || want+=(python3)

missing=()
if command -v dpkg-query >/dev/null; then
  for p in "${want[@]}"; do is_installed "$p" || missing+=("$p"); done
else
  # Not Debian: fall back to checking the commands/headers directly.
  command -v chromium >/dev/null || missing+=(chromium)
  command -v rg >/dev/null || missing+=(ripgrep)
  [ -e /usr/include/gssapi/gssapi.h ] || missing+=(libkrb5-dev)
fi

if [ ${#missing[@]} -eq 0 ]; then
  log "apt: ${want[*]} already installed"
elif [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
  log "apt: installing ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed"
  apt-get install -y -qq --no-install-recommends "${missing[@]}" || die "apt-get install ${missing[*]} failed"
  log "apt: installed ${missing[*]}"
else
  die "missing system packages: ${missing[*]}. Install them first, e.g.:
    sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}"
fi

CHROMIUM_BIN="${B24_CHROMIUM_PATH:-/usr/bin/chromium}"
[ -x "$CHROMIUM_BIN" ] || die "$CHROMIUM_BIN not found (package chromium)"
RG_BIN="$(command -v rg || true)"
[ -n "$RG_BIN" ] || die "rg not found (package ripgrep)"

# ---------------------------------------------------------------------------------------------
# 2. Seed @vscode/ripgrep's cache (it downloads from GitHub otherwise, which fails offline).
#    $(os.tmpdir())/vscode-ripgrep-cache-<pkg version>/ripgrep-<release>-<target>.tar.gz must
#    be a gzip tar whose only member is the `rg` executable.
# ---------------------------------------------------------------------------------------------
case "$(uname -m)" in
  x86_64|amd64) RG_TARGET="x86_64-unknown-linux-musl" ;;
  aarch64|arm64) RG_TARGET="aarch64-unknown-linux-musl" ;;
  *) die "unsupported architecture $(uname -m) for the ripgrep cache seed" ;;
esac
RG_CACHE_DIR="$(node -p 'require("os").tmpdir()')/vscode-ripgrep-cache-$RG_PKG_VERSION"
RG_TARBALL="$RG_CACHE_DIR/ripgrep-$RG_ASSET_VERSION-$RG_TARGET.tar.gz"
if [ -s "$RG_TARBALL" ] && [ "$(tar -tzf "$RG_TARBALL" 2>/dev/null)" = "rg" ]; then
  log "ripgrep cache: already seeded ($RG_TARBALL)"
else
  mkdir -p "$RG_CACHE_DIR"
  stage="$(mktemp -d)"
  install -m 0755 "$RG_BIN" "$stage/rg"
  tar -czf "$RG_TARBALL.tmp" -C "$stage" rg
  mv -f "$RG_TARBALL.tmp" "$RG_TARBALL"
  rm -rf "$stage"
  log "ripgrep cache: seeded $RG_TARBALL from $RG_BIN ($("$RG_BIN" --version | head -1))"
fi

# ---------------------------------------------------------------------------------------------
# 3. The two VS Codes: code-server FLOOR and CURRENT, each in .vscode-test/code-server-VERSION/.
# ---------------------------------------------------------------------------------------------
case "$(uname -m)" in
  x86_64|amd64) NODE_ARCH="x64" ;;
  aarch64|arm64) NODE_ARCH="arm64" ;;
  *) NODE_ARCH="" ;;
esac

# Environment for code-server's install scripts (see shared note offline-vscode-host.md):
#  - npm_config_unsafe_perm: postinstall.sh refuses to run as root without it;
#  - npm_config_yes: node-pty's install runs `npx node-gyp`, which must not prompt.
export npm_config_unsafe_perm=true
export npm_config_yes=true
export npm_config_fund=false
export npm_config_audit=false
export npm_config_update_notifier=false

# What VS Code's server loads from native code. Found by file name, since the packages move
# between releases (native-watchdog became @vscode/native-watchdog) and some ship prebuilt
# binaries (node-pty 1.2: prebuilds/linux-x64/pty.node).
NATIVE_ADDONS=(spdlog.node pty.node watchdog.node kerberos.node)

# An install is complete when its installed.json names this version and every file it lists
# (the Node that runs it, its entry script, native addons, ripgrep, TypeScript) is there.
install_complete() {
  node - "$1" "$2" <<'NODE' >/dev/null 2>&1
const fs = require('fs');
const [file, version] = process.argv.slice(2);
const install = JSON.parse(fs.readFileSync(file, 'utf8'));
if (install.codeServer !== version || typeof install.vscodeOption !== 'boolean') process.exit(1);
for (const f of [install.node, install.entry, ...install.files]) fs.accessSync(f);
NODE
}

# install_code_server VERSION: code-server VERSION into .vscode-test/code-server-VERSION/, with
# the Node.js its package.json asks for (engines.node): this machine's when the major versions
# agree, otherwise the npm package node-linux-<arch>@MAJOR in the same folder. Writes
# installed.json there.
install_code_server() {
  local version="$1"
  local dir="$VSCODE_TEST_DIR/code-server-$version"
  if [ "${B24_SETUP_FORCE:-}" != "1" ] && install_complete "$dir/installed.json" "$version"; then
    log "code-server $version: already installed in ${dir#"$ROOT"/}"
    return 0
  fi
  local t0=$SECONDS
  log "code-server $version: installing into ${dir#"$ROOT"/} (log: ${dir#"$ROOT"/}/install.log) ..."
  rm -rf "$dir"
  mkdir -p "$dir"
  local install_log="$dir/install.log"
  : >"$install_log"
  fail() { tail -n 60 "$install_log" >&2; die "code-server $version: $1 (full log: $install_log)"; }

  # Its own package.json. allowScripts: npm 11 skips dependency install scripts that are not
  # approved there; code-server's postinstall (which builds VS Code's native modules) and
  # argon2's must run.
  cat >"$dir/package.json" <<JSON
{
  "name": "b24-headless-code-server",
  "private": true,
  "description": "code-server for headless VS Code tests; installed by scripts/setup-headless.sh, not part of the extension",
  "dependencies": { "code-server": "$version" },
  "allowScripts": { "code-server": true, "argon2": true }
}
JSON

  # a) Fetch the package tree without running scripts ...
  (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund >>"$install_log" 2>&1) \
    || fail "npm install failed"
  local cs_pkg="$dir/node_modules/code-server"
  local vs_dir="$cs_pkg/lib/vscode"

  # b) ... the Node.js it runs on, and the headers its native modules build against ...
  local node_wanted node_bin nodedir
  node_wanted="$(node -p 'String(require(process.argv[1]).engines.node).match(/\d+/)[0]' "$cs_pkg/package.json")"
  if [ "$node_wanted" = "$NODE_MAJOR" ]; then
    node_bin="$(command -v node)"
    nodedir="$(npm config get nodedir 2>/dev/null | grep -v '^null$' || true)"
    if [ -z "$nodedir" ] && [ -f /usr/include/node/node.h ]; then nodedir=/usr; fi
  else
    [ -n "$NODE_ARCH" ] || die "no node-linux package for $(uname -m): code-server $version needs Node.js $node_wanted"
    (cd "$dir" && npm install --ignore-scripts --no-audit --no-fund "node-linux-$NODE_ARCH@$node_wanted" >>"$install_log" 2>&1) \
      || fail "npm install node-linux-$NODE_ARCH@$node_wanted failed"
    nodedir="$dir/node_modules/node-linux-$NODE_ARCH"
    node_bin="$nodedir/bin/node"
  fi
  [ "$("$node_bin" -p 'process.versions.node.split(".")[0]')" = "$node_wanted" ] \
    || die "code-server $version needs Node.js $node_wanted; $node_bin is $("$node_bin" -v)"
  log "code-server $version: fetched in $((SECONDS - t0)) s; runs on Node.js $("$node_bin" -v) ($node_bin)"

  # c) ... approve the install scripts of the nested VS Code installs that code-server's
  #    postinstall runs (`npm install` in lib/vscode and lib/vscode/extensions): each of those is
  #    a separate npm project, so they need their own allowScripts. The list is every package
  #    that their shrinkwraps mark with hasInstallScript, pinned to the shrinkwrapped version.
  node - "$vs_dir" "$vs_dir/extensions" <<'NODE' >>"$install_log"
const fs = require('fs');
const path = require('path');
for (const dir of process.argv.slice(2)) {
  const pkgFile = path.join(dir, 'package.json');
  const shrink = path.join(dir, 'npm-shrinkwrap.json');
  const pkg = JSON.parse(fs.readFileSync(pkgFile, 'utf8'));
  const allow = {};
  if (fs.existsSync(shrink)) {
    const packages = JSON.parse(fs.readFileSync(shrink, 'utf8')).packages || {};
    for (const [key, meta] of Object.entries(packages)) {
      if (!key || !meta.hasInstallScript) continue;
      const name = key.slice(key.lastIndexOf('node_modules/') + 'node_modules/'.length);
      allow[`${name}@${meta.version}`] = true;
    }
  }
  pkg.allowScripts = allow;
  fs.writeFileSync(pkgFile, JSON.stringify(pkg, null, 2) + '\n');
  console.log(`[setup-headless] allowScripts for ${dir}: ${Object.keys(allow).join(', ') || '(none)'}`);
}
NODE

  # d) ... and run the install scripts with that Node first on PATH: code-server's postinstall
  #    reads the Node version from npm's user agent, runs the nested installs and builds
  #    kerberos, node-pty, spdlog, ... with node-gyp against the headers in nodedir.
  local t1=$SECONDS
  # npm_config_user_agent is set anew: under `npm test` the outer npm's (Node 20) is in the
  # environment, and npm takes a npm_config_* variable as its config, so the postinstall would
  # read the wrong Node version from it.
  local run_env=(env "PATH=$(dirname "$node_bin"):$PATH" "npm_config_user_agent=npm/$(npm -v) node/$("$node_bin" -v) linux $NODE_ARCH")
  [ -n "$nodedir" ] && run_env+=("npm_config_nodedir=$nodedir")
  (cd "$dir" && "${run_env[@]}" npm rebuild --foreground-scripts >>"$install_log" 2>&1) \
    || fail "code-server's postinstall failed"

  local addons=() name addon
  for name in "${NATIVE_ADDONS[@]}"; do
    addon="$(find "$vs_dir/node_modules" \( -path "*/build/Release/$name" -o -path "*/prebuilds/linux-$NODE_ARCH/$name" \) \
      -print -quit)"
    [ -n "$addon" ] || fail "the native module $name was not built"
    addons+=("$addon")
  done
  # Built for this Node (a module built against another Node's headers fails to load).
  "$node_bin" -e 'for (const f of process.argv.slice(1)) require(f)' "${addons[@]}" >>"$install_log" 2>&1 \
    || fail "native modules do not load in Node.js $("$node_bin" -v)"
  log "code-server $version: install scripts and native modules took $((SECONDS - t1)) s"

  local rg
  # @vscode/ripgrep/bin/rg, or since 1.10x @vscode/ripgrep-universal/bin/linux-ARCH/rg.
  rg="$(find "$vs_dir/node_modules/@vscode" -type f \( -path '*/ripgrep/bin/rg' -o -path "*/ripgrep-universal/bin/linux-$NODE_ARCH/rg" \) -print -quit)"
  [ -n "$rg" ] || fail "no ripgrep binary under lib/vscode/node_modules/@vscode"
  local typescript="$vs_dir/extensions/node_modules/typescript/package.json"
  [ -f "$typescript" ] || fail "the built-in TypeScript extension has no typescript"
  local entry="$cs_pkg/out/node/entry.js"
  [ -f "$entry" ] || fail "no $entry"

  # Its own config file: without one, code-server writes ~/.config/code-server/config.yaml.
  printf 'auth: none\nbind-addr: 127.0.0.1:0\n' >"$dir/config.yaml"
  local reported vscode
  reported="$(CODE_SERVER_CONFIG="$dir/config.yaml" "$node_bin" "$entry" --version 2>>"$install_log" | head -1 || true)"
  vscode="$(sed -n 's/.* with Code \([0-9.]*\).*/\1/p' <<<"$reported")"
  [ -n "$vscode" ] || fail "\`code-server --version\` printed '$reported', not 'VERSION COMMIT with Code X.Y.Z'"
  # Whether it passes VS Code server options through --vscode-option (4.139 does, 4.99 does
  # not): test/launch/headless.ts needs one for extension development (see there).
  local help vscode_option=false
  help="$(CODE_SERVER_CONFIG="$dir/config.yaml" "$node_bin" "$entry" --help 2>>"$install_log" || true)"
  if grep -q -- '--vscode-option' <<<"$help"; then vscode_option=true; fi

  node - "$dir/installed.json" "$version" "$vscode" "$node_bin" "$entry" "$vscode_option" "$rg" "$typescript" "${addons[@]}" <<'NODE'
const fs = require('fs');
const [file, codeServer, vscode, node, entry, vscodeOption, ...files] = process.argv.slice(2);
fs.writeFileSync(file, JSON.stringify({ codeServer, vscode, node, entry, vscodeOption: vscodeOption === 'true', files }, null, 2) + '\n');
NODE
  log "code-server $version: installed (VS Code $vscode) in $((SECONDS - t0)) s"
}

install_code_server "$FLOOR_CODE_SERVER"
install_code_server "$CURRENT_CODE_SERVER"
FLOOR_DIR="$VSCODE_TEST_DIR/code-server-$FLOOR_CODE_SERVER"
CURRENT_DIR="$VSCODE_TEST_DIR/code-server-$CURRENT_CODE_SERVER"

# What test/launch/headless.ts starts; and engines.vscode (with @types/vscode) must be the floor's
# VS Code, so that the oldest version the extension admits is the one the suites run.
node - "$VSCODE_TEST_DIR/code-servers.json" "$ROOT/package.json" "$FLOOR_DIR/installed.json" "$CURRENT_DIR/installed.json" <<'NODE' \
  || die "package.json does not declare the VS Code the suites run as the floor"
const fs = require('fs');
const [manifest, pkgFile, floorFile, currentFile] = process.argv.slice(2);
const read = (f) => JSON.parse(fs.readFileSync(f, 'utf8'));
const floor = read(floorFile);
const pkg = read(pkgFile);
const minor = (v) => String(v).replace(/^\D*/, '').split('.').slice(0, 2).join('.');
for (const [what, declared] of [['engines.vscode', pkg.engines.vscode], ['@types/vscode', pkg.devDependencies['@types/vscode']]]) {
  if (minor(declared) !== minor(floor.vscode)) {
    console.error(`[setup-headless] ${what} is "${declared}", but the floor code-server ${floor.codeServer} is VS Code ${floor.vscode}`);
    process.exit(1);
  }
}
fs.writeFileSync(manifest, JSON.stringify({ floor, current: read(currentFile) }, null, 2) + '\n');
NODE
log "VS Codes for the suites: floor $(node -p 'require(process.argv[1]).floor.vscode' "$VSCODE_TEST_DIR/code-servers.json"), current $(node -p 'require(process.argv[1]).current.vscode' "$VSCODE_TEST_DIR/code-servers.json") (.vscode-test/code-servers.json)"

# Installs no longer pinned (an earlier release, or the single .vscode-test/code-server/ of
# before) go: each is a gigabyte.
for old in "$VSCODE_TEST_DIR"/code-server "$VSCODE_TEST_DIR"/code-server-*; do
  [ -d "$old" ] && [ "$old" != "$FLOOR_DIR" ] && [ "$old" != "$CURRENT_DIR" ] || continue
  rm -rf "$old"
  log "removed ${old#"$ROOT"/} (not pinned any more)"
done
log "chromium: $("$CHROMIUM_BIN" --version 2>/dev/null | head -1)"

# ---------------------------------------------------------------------------------------------
# 4. A non-loopback HTTPS name for the sandbox portal (end-to-end tests through the workbench).
#    code-server rewrites openExternal of a loopback URL to its own /proxy/PORT/ address, so the
#    e2e suite serves the sandbox as https://portal.b24.test:PORT (a .test name is reserved and
#    never resolves on the internet):
#      a) an /etc/hosts entry `127.0.0.1 portal.b24.test`;
#      b) a throwaway CA, trusted through the system store (update-ca-certificates) because VS
#         Code's extension host reads the system store; NODE_EXTRA_CA_CERTS alone is not enough.
#         The CA may only sign names under b24.test (critical name constraint) and its private
#         key is deleted as soon as the portal's certificate is signed, so it can sign nothing
#         else. Files: .vscode-test/tls/{ca.crt,portal.crt,portal.key}.
#    Needs root; without it, this step prints what is missing and the e2e suite will say so too.
#    B24_SKIP_TEST_HOST=1 skips it.
# ---------------------------------------------------------------------------------------------
TLS_DIR="$ROOT/.vscode-test/tls"
SYSTEM_BUNDLE="/etc/ssl/certs/ca-certificates.crt"
IS_ROOT=0; [ "$(id -u)" = 0 ] && IS_ROOT=1

if [ "${B24_SKIP_TEST_HOST:-}" = "1" ]; then
  log "test host: skipped (B24_SKIP_TEST_HOST=1)"
else
  # a) /etc/hosts. Appended in place (no sed -i: /etc/hosts is often a bind mount in containers).
  if getent ahostsv4 "$TEST_HOST" 2>/dev/null | awk '{print $1}' | grep -qx '127.0.0.1'; then
    log "test host: $TEST_HOST resolves to 127.0.0.1"
  elif [ "$IS_ROOT" = 1 ] && [ -w /etc/hosts ]; then
    printf '127.0.0.1 %s  %s\n' "$TEST_HOST" "$HOSTS_MARKER" >>/etc/hosts
    getent ahostsv4 "$TEST_HOST" 2>/dev/null | awk '{print $1}' | grep -qx '127.0.0.1' \
      || die "added $TEST_HOST to /etc/hosts but it still does not resolve to 127.0.0.1 (check /etc/nsswitch.conf)"
    log "test host: added '127.0.0.1 $TEST_HOST' to /etc/hosts"
  else
    log "test host: WARNING: $TEST_HOST does not resolve; the e2e suite needs, as root:"
    log "    echo '127.0.0.1 $TEST_HOST' >> /etc/hosts"
  fi

  # b) The CA and the portal's certificate. Reused while valid for 30 more days and trusted.
  tls_ok() {
    [ -s "$TLS_DIR/ca.crt" ] && [ -s "$TLS_DIR/portal.crt" ] && [ -s "$TLS_DIR/portal.key" ] || return 1
    openssl x509 -in "$TLS_DIR/portal.crt" -noout -checkend 2592000 >/dev/null 2>&1 || return 1
    openssl verify -CAfile "$TLS_DIR/ca.crt" "$TLS_DIR/portal.crt" >/dev/null 2>&1 || return 1
    # The key belongs to the certificate.
    [ "$(openssl x509 -in "$TLS_DIR/portal.crt" -noout -pubkey 2>/dev/null)" = \
      "$(openssl pkey -in "$TLS_DIR/portal.key" -pubout 2>/dev/null)" ] || return 1
  }
  ca_trusted() {
    [ -f "$SYSTEM_CA_FILE" ] && cmp -s "$SYSTEM_CA_FILE" "$TLS_DIR/ca.crt" || return 1
    # The bundle holds it (update-ca-certificates ran after the copy).
    openssl verify -CAfile "$SYSTEM_BUNDLE" "$TLS_DIR/portal.crt" >/dev/null 2>&1
  }
  command -v openssl >/dev/null || die "openssl not found (package openssl)"
  if tls_ok; then
    log "test CA: $TLS_DIR/portal.crt valid for $TEST_HOST"
  else
    mkdir -p "$TLS_DIR"
    chmod 700 "$TLS_DIR"
    work="$(mktemp -d)"
    openssl req -x509 -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 -days 400 \
      -keyout "$work/ca.key" -out "$work/ca.crt" \
      -subj "/CN=Bitrix24 Task Counters throwaway test CA ($(hostname) $(date -u +%Y-%m-%d))" \
      -addext "basicConstraints=critical,CA:TRUE,pathlen:0" \
      -addext "keyUsage=critical,keyCertSign,cRLSign" \
      -addext "nameConstraints=critical,permitted;DNS:b24.test" >/dev/null 2>&1 \
      || die "openssl could not create the test CA"
    openssl req -new -nodes -newkey ec -pkeyopt ec_paramgen_curve:prime256v1 -sha256 \
      -keyout "$work/portal.key" -out "$work/portal.csr" -subj "/CN=$TEST_HOST" >/dev/null 2>&1 \
      || die "openssl could not create the portal key"
    printf '%s\n' "basicConstraints=critical,CA:FALSE" "keyUsage=critical,digitalSignature" \
      "extendedKeyUsage=serverAuth" "subjectAltName=DNS:$TEST_HOST" >"$work/portal.ext"
    openssl x509 -req -in "$work/portal.csr" -CA "$work/ca.crt" -CAkey "$work/ca.key" -CAcreateserial \
      -days 397 -sha256 -extfile "$work/portal.ext" -out "$work/portal.crt" >/dev/null 2>&1 \
      || die "openssl could not sign the portal certificate"
    install -m 0644 "$work/ca.crt" "$TLS_DIR/ca.crt"
    install -m 0644 "$work/portal.crt" "$TLS_DIR/portal.crt"
    install -m 0600 "$work/portal.key" "$TLS_DIR/portal.key"
    rm -rf "$work"   # the CA's private key goes with it: the CA can sign nothing more
    tls_ok || die "the new test certificates do not verify"
    log "test CA: created $TLS_DIR/{ca.crt,portal.crt,portal.key} for $TEST_HOST (CA key discarded)"
  fi
  if ca_trusted; then
    log "test CA: trusted by the system store"
  elif [ "$IS_ROOT" = 1 ] && command -v update-ca-certificates >/dev/null; then
    # Replace an older throwaway CA of ours, if any, then rebuild the bundle.
    install -m 0644 "$TLS_DIR/ca.crt" "$SYSTEM_CA_FILE"
    update-ca-certificates >/dev/null 2>&1 || die "update-ca-certificates failed"
    ca_trusted || die "update-ca-certificates ran but $SYSTEM_BUNDLE does not trust the test CA"
    log "test CA: installed as $SYSTEM_CA_FILE and trusted (update-ca-certificates)"
  else
    log "test CA: WARNING: not trusted by the system store; the e2e suite needs, as root:"
    log "    cp $TLS_DIR/ca.crt $SYSTEM_CA_FILE && update-ca-certificates"
  fi
fi
log "done in ${SECONDS}s"
