#!/usr/bin/env bash
# Install what the tests need and run the whole suite: the one command for developers and CI.
#
#   bash scripts/test.sh            # everything
#   bash scripts/test.sh -q -k infra   # arguments go to pytest unchanged
#
# 1. Debian packages, only when their programs are missing: the PostgreSQL server
#    (postgresql), Debian's Chromium for the real-browser tests (chromium), fonts
#    (fonts-dejavu-core) and HAProxy for the scale-out test (haproxy). Needs root (or password-less sudo); otherwise says what is missing
#    and goes on (those tests then skip, except under CI=true where they fail).
# 2. The virtualenv .venv in the repo (shared with scripts/run.sh) with requirements-dev.txt,
#    reinstalled only when the requirements files change.
# 3. The checks: the import layers (lint-imports, .importlinter), ruff's lint and its format
#    check (ruff.toml; `ruff format .` fixes the latter); a
#    crossed layer or a lint error stops here, before the tests.
# 4. python -m pytest "$@". pytest's exit code 5 (no test collected) is turned into a failure.
set -euo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=scripts/run.sh
source "$HERE/run.sh"   # functions only: ROOT, VENV, log, ensure_venv; cd "$ROOT"

# --- Debian packages ---------------------------------------------------------------------
missing_packages() {
    local missing=()
    compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null || missing+=(postgresql)
    [[ -x /usr/bin/chromium ]] || missing+=(chromium)
    dpkg -s fonts-dejavu-core >/dev/null 2>&1 || missing+=(fonts-dejavu-core)
    command -v runuser >/dev/null 2>&1 || missing+=(util-linux)
    [[ -x /usr/bin/time ]] || missing+=(time)  # peak-memory figures of tests/test_upload_bombs.py
    command -v haproxy >/dev/null 2>&1 || [[ -x /usr/sbin/haproxy ]] || missing+=(haproxy)  # tests/test_scale_out.py
    echo "${missing[@]:-}"
}

install_debian_packages() {
    local missing sudo=()
    missing="$(missing_packages)"
    [[ -z "${missing// /}" ]] && return 0
    if [[ "$(id -u)" != 0 ]]; then
        if command -v sudo >/dev/null 2>&1 && sudo -n true >/dev/null 2>&1; then
            sudo=(sudo -n)
        else
            log "Not root: cannot install the Debian packages: $missing"
            log "Ask an administrator to run: apt-get install -y $missing"
            log "Tests that need them will be skipped (under CI=true they fail)."
            return 0
        fi
    fi
    if ! command -v apt-get >/dev/null 2>&1; then
        log "No apt-get here: install these yourself: $missing"
        return 0
    fi
    log "Installing Debian packages: $missing ..."
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -q
    # shellcheck disable=SC2086
    "${sudo[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -q $missing
}

started=$SECONDS
install_debian_packages
ensure_venv "$ROOT/requirements-dev.txt" "$ROOT/requirements.txt"
log "Setup took $((SECONDS - started)) s; checking the import layers and lint"
"$VENV/bin/lint-imports" --no-cache
"$VENV/bin/ruff" check --no-cache .
"$VENV/bin/ruff" format --check --no-cache .
log "Running pytest $*"

set +e
"$VENV/bin/python" -m pytest "$@"
status=$?
set -e
if [[ $status == 5 ]]; then
    log "pytest collected no test (exit code 5): treating that as a failure."
    exit 1
fi
exit $status
