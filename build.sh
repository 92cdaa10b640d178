#!/usr/bin/env bash
# Koe build entry point.
#   ./build.sh          set up: venv, models, voices, dictionaries, web assets (idempotent, cached)
#   ./build.sh serve    set up, then serve the app and the API at http://127.0.0.1:8000
#   ./build.sh test     set up, then run every test
set -euo pipefail
cd "$(dirname "$0")"
ROOT=$(pwd)
CACHE="${KOE_CACHE:-$ROOT/.cache}"
VENV="$ROOT/.venv"
PY="$VENV/bin/python"
mkdir -p "$CACHE/stamps"

step() { printf '\n==> %s\n' "$*"; }
die() { printf 'error: %s\n' "$*" >&2; exit 1; }

setup_venv() {
  step "Python environment (.venv)"
  command -v python3 >/dev/null || die "python3 is required (3.11 or newer)"
  if [ ! -x "$PY" ]; then
    python3 -m venv "$VENV" || die "could not create $VENV (is python3-venv installed?)"
  fi
  local want
  want=$(sha256sum pyproject.toml | cut -d' ' -f1)
  if [ "$(cat "$CACHE/stamps/venv" 2>/dev/null)" != "$want" ] || ! "$PY" -c 'import koe, onnxruntime, pytest' 2>/dev/null; then
    "$PY" -m pip install --disable-pip-version-check -q --upgrade pip
    "$PY" -m pip install --disable-pip-version-check -q -e ".[dev]" || die "installing Python dependencies failed"
    echo "$want" > "$CACHE/stamps/venv"
  else
    echo "  up to date"
  fi
}

setup_assets() {
  step "Models, voices and dictionaries (web/public/)"
  "$PY" tools/build_assets.py
  "$PY" tools/build_lang_wheels.py
  "$PY" tools/build_lang_data.py
  step "Speaker encoder and preset voice embeddings (custom voices)"
  "$PY" tools/build_ge2e_encoder.py
  "$PY" tools/build_speaker_assets.py
  "$PY" tools/build_style_basis.py
  step "Browser runtime (Pyodide, onnxruntime-web, the engine wheel)"
  "$PY" tools/build_web.py
}

setup_browser() {
  step "Headless browser for the web tests (Debian chromium)"
  if command -v chromium >/dev/null; then
    echo "  chromium present"
  else
    apt-get install -y chromium || { apt-get update && apt-get install -y chromium; } \
      || echo "  warning: could not install chromium (not root?); the browser tests will be skipped"
  fi
}

setup() {
  setup_venv
  setup_assets
}

cmd="${1:-setup}"
shift || true
case "$cmd" in
  setup|"")
    setup
    printf '\nReady. Try: .venv/bin/koe say "Hello from Koe." -o hello.wav\n'
    ;;
  serve)
    setup
    step "Serving"
    exec "$VENV/bin/koe" serve "$@"
    ;;
  test)
    setup
    setup_browser
    step "Tests"
    exec "$PY" -m pytest "$@"
    ;;
  *)
    die "unknown command '$cmd' (use: ./build.sh [serve|test])"
    ;;
esac
