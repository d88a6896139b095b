#!/usr/bin/env bash
# Installs whatever is missing so `make up` and `make test` work on a fresh machine.
# Idempotent: every step checks first and does nothing when already done.
set -euo pipefail
cd "$(dirname "$0")/../.."

APT_PACKAGES=(espeak-ng libespeak-ng1 ffmpeg sox postgresql)
APT_PACKAGES+=(fonts-dejavu-core)  # studio captions (DejaVu Sans Bold; Pillow's own font otherwise)
APT_PACKAGES+=(wrk)  # the load generator of tests/bench/bench_gateway.py
APT_PACKAGES+=(chromium chromium-driver)  # the console's browser test (tests/e2e/test_console.py)
MODELS_DIR=${AVATARMESH_MODELS_DIR:-var/models}
VENV=.venv

log() { printf '[setup] %s\n' "$*"; }

APT_UPDATED=0
apt_install() {
  local sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  if [ "$APT_UPDATED" -eq 0 ]; then
    $sudo apt-get update -qq
    APT_UPDATED=1
  fi
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# The pins are for CPython 3.11 (Debian 12's python3); pyworld compiles, so the venv
# needs ensurepip, a C compiler and Python.h. Install whichever of them is missing
# (only when the venv is (re)built).
PYTHON=""
pick_python() {
  local py
  for py in python3.11 python3; do
    if command -v "$py" >/dev/null && "$py" -c 'import sys; sys.exit(sys.version_info[:2] != (3, 11))'; then
      PYTHON=$py
      break
    fi
  done
  if [ -z "$PYTHON" ]; then
    log "Python 3.11 (apt)"
    apt_install python3.11 python3.11-venv python3.11-dev || {
      echo "[setup] avatarmesh needs CPython 3.11; install it and run again" >&2; exit 1; }
    PYTHON=python3.11
  fi
  local extra=()
  [ -x "$VENV/bin/python" ] || "$PYTHON" -c 'import ensurepip' 2>/dev/null || extra+=(python3.11-venv)
  "$PYTHON" -c 'import os, sys, sysconfig; sys.exit(not os.path.exists(os.path.join(sysconfig.get_paths()["include"], "Python.h")))' \
    || extra+=(python3.11-dev)
  command -v gcc >/dev/null || extra+=(gcc)
  if [ ${#extra[@]} -gt 0 ]; then
    log "build prerequisites: ${extra[*]}"
    apt_install "${extra[@]}"
  fi
}

install_apt_packages() {
  local missing=()
  for pkg in "${APT_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  log "apt packages: ${missing[*]}"
  apt_install "${missing[@]}"
}

install_venv() {
  local stamp="$VENV/.installed-$(cat pyproject.toml sdk/python/pyproject.toml | sha256sum | cut -c1-16)"
  [ -f "$stamp" ] && return 0
  pick_python
  log "virtualenv $VENV (pinned packages from pyproject.toml)"
  [ -x "$VENV/bin/python" ] || "$PYTHON" -m venv "$VENV"
  # pyworld builds from source and imports pkg_resources, gone from setuptools>=81.
  local constraints
  constraints=$(mktemp)
  echo "setuptools<81" > "$constraints"
  # Runtime plus the groups make test/up use: local servers, test runner, linters.
  local pip_log="$VENV/pip-install.log"
  if ! PIP_CONSTRAINT="$constraints" "$VENV/bin/pip" install -q --disable-pip-version-check \
      -e ".[local,test,dev]" >"$pip_log" 2>&1; then
    grep -v "is ignored: it is neither" "$pip_log" >&2
    exit 1
  fi
  # The Python SDK and its `avatarmesh` command (sdk/python), editable; its one
  # dependency (httpx) is already pinned above, so nothing is fetched.
  if ! "$VENV/bin/pip" install -q --disable-pip-version-check --no-deps --no-build-isolation \
      -e ./sdk/python >>"$pip_log" 2>&1; then
    grep -v "is ignored: it is neither" "$pip_log" >&2
    exit 1
  fi
  rm -f "$constraints" "$VENV"/.installed-*
  local site
  site=$("$VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
  printf '%s\n%s\n' "$PWD" "$PWD/libs" > "$site/avatarmesh-paths.pth"
  touch "$stamp"
}

install_models() {
  "$VENV/bin/python" -m avatarmedia.models install --models-dir "$MODELS_DIR"
}

# The TypeScript SDK has no runtime dependency; its one dev dependency (typescript,
# pinned in sdk/typescript/package-lock.json) type-checks it in make test. Without npm
# or its registry the check is skipped (the SDK and its node tests still run).
install_typescript() {
  local pkg=sdk/typescript
  [ -x "$pkg/node_modules/.bin/tsc" ] && return 0
  command -v npm >/dev/null || { log "npm not found: the TypeScript type check is skipped"; return 0; }
  log "TypeScript for the SDK's type check (npm ci in $pkg)"
  (cd "$pkg" && npm ci --no-audit --no-fund --loglevel=error >/dev/null 2>&1) \
    || log "npm ci failed (offline?): the TypeScript type check is skipped"
}

install_apt_packages
install_venv
install_models
install_typescript
log "ready"
