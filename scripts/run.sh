#!/usr/bin/env bash
# Start the leadership dashboard: the one command to run on a fresh Debian machine.
#
#   bash scripts/run.sh                      # http://127.0.0.1:8501
#   DASHBOARD_ADDRESS=0.0.0.0 bash scripts/run.sh --server.port 8080   # once sign-in is set up
#   bash scripts/run.sh --workers 2          # 2 app processes behind HAProxy on the same address
#                                            # and port (scripts/cluster.py; apt-get install haproxy)
#
# With no sign-in configured (no account, no [auth] in secrets.toml) the dashboard is a
# single-user demo: scripts/serve.py then listens on 127.0.0.1 only and refuses another
# address (exit code 2). Accounts: python -m data_access.accounts add USERNAME --role ROLE
#
# Creates (or reuses) a virtualenv in .venv inside the repo, installs requirements.txt
# into it (skipped when requirements.txt has not changed since the last install), then
# starts Streamlit. Any extra arguments go to `streamlit run` unchanged.
# Environment: DASHBOARD_ADDRESS (default 127.0.0.1), DASHBOARD_PORT (default 8501),
# PYTHON (the interpreter that creates .venv; default python3.11, else python3).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
VENV="$ROOT/.venv"

LOCK="$ROOT/.venv.lock"

log() { printf '[%s] %s\n' "$(basename "$0")" "$*" >&2; }

# --- the virtualenv (same logic as scripts/test.sh) -------------------------------------
pick_python() {
    if [[ -n "${PYTHON:-}" ]]; then echo "$PYTHON"; return; fi
    local candidate
    for candidate in python3.11 python3; do
        if command -v "$candidate" >/dev/null 2>&1; then command -v "$candidate"; return; fi
    done
    log "No python3 found. Install it first: apt-get install -y python3 python3-venv"
    exit 1
}

make_venv() {
    local py
    py="$(pick_python)"
    if "$VENV/bin/python" -c 'import sys' >/dev/null 2>&1; then return; fi
    log "Creating the virtualenv $VENV with $py ..."
    rm -rf "$VENV"
    if ! "$py" -m venv "$VENV" >/dev/null 2>&1; then
        rm -rf "$VENV"
        if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
            log "python's venv module is missing: installing Debian's python3-venv ..."
            DEBIAN_FRONTEND=noninteractive apt-get update -q
            DEBIAN_FRONTEND=noninteractive apt-get install -y -q python3-venv
            "$py" -m venv "$VENV"
        else
            log "python's venv module is missing. Ask an administrator to run: apt-get install -y python3-venv"
            exit 1
        fi
    fi
}

# install_requirements FILE...: pip install -r the first file, unless FILE... are unchanged
# since the last successful install (stamp file in .venv holding their hash).
install_requirements() {
    local main_file="$1" stamp hash
    stamp="$VENV/.installed-$(basename "$main_file").sha256"
    hash="$( { "$VENV/bin/python" -c 'import sys; print(sys.version)'; cat "$@"; } | sha256sum | cut -d' ' -f1)"
    if [[ -f "$stamp" && "$(cat "$stamp")" == "$hash" ]]; then
        return
    fi
    log "Installing $(basename "$main_file") into .venv (first run: a few minutes) ..."
    rm -f "$stamp"
    "$VENV/bin/python" -m pip install --disable-pip-version-check -q -r "$main_file"
    echo "$hash" >"$stamp"
}

# ensure_venv FILE...: .venv exists and has FILE... installed. Two commands started at
# once (run.sh and test.sh, say) must not build the same .venv together: hold a lock.
ensure_venv() {
    exec 9>"$LOCK"
    flock 9
    make_venv
    install_requirements "$@"
    flock -u 9
    exec 9>&-
}

# scripts/test.sh sources this file for the functions above and stops here.
if [[ "${BASH_SOURCE[0]}" != "$0" ]]; then return 0; fi

ensure_venv "$ROOT/requirements.txt"

ADDRESS="${DASHBOARD_ADDRESS:-127.0.0.1}"
PORT="${DASHBOARD_PORT:-8501}"
if [[ "${1:-}" == "--workers" ]]; then
    # Several app processes behind HAProxy, the database their only shared state.
    workers="${2:?--workers needs a number}"
    shift 2
    log "Starting the dashboard on http://$ADDRESS:$PORT with $workers app processes behind HAProxy (Ctrl+C stops them)"
    exec "$VENV/bin/python" "$ROOT/scripts/cluster.py" --workers "$workers" --address "$ADDRESS" --port "$PORT" "$@"
fi
log "Starting the dashboard on http://$ADDRESS:$PORT (Ctrl+C stops it)"
# scripts/serve.py is `streamlit run app.py` with deep links working from the first visit.
exec "$VENV/bin/python" "$ROOT/scripts/serve.py" \
    --server.address "$ADDRESS" \
    --server.port "$PORT" \
    --server.showEmailPrompt false \
    --browser.gatherUsageStats false \
    "$@"
