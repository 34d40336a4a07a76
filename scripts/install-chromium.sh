#!/usr/bin/env bash
# Install Chromium for the report's browser check (tests/integration/test_report_browser.py).
#
# Idempotent: exits 0 at once when /usr/bin/chromium is already there. Otherwise, as root,
# runs `apt-get update && apt-get install -y chromium`; every step has a time limit.
# On failure it exits non-zero with one line on stderr saying why (apt's output is in a log).
#
# Environment: CHROMIUM_INSTALL_TIMEOUT_S (default 900) bounds each apt-get call, in seconds.
set -euo pipefail

readonly CHROMIUM=/usr/bin/chromium
readonly STEP_TIMEOUT_S="${CHROMIUM_INSTALL_TIMEOUT_S:-900}"
readonly LOCK_TIMEOUT_S=120 # another apt/dpkg may hold the lock for a while
readonly LOG="${TMPDIR:-/tmp}/install-chromium.$$.log"

fail() {
    echo "install-chromium: $*" >&2
    exit 1
}

version() {
    timeout 30 "$CHROMIUM" --version 2>/dev/null || echo "version unknown"
}

if [[ -x "$CHROMIUM" ]]; then
    echo "install-chromium: $CHROMIUM is already installed ($(version))"
    exit 0
fi

[[ "$(id -u)" -eq 0 ]] ||
    fail "$CHROMIUM is missing and this is not root; run: sudo apt-get install -y chromium"
command -v apt-get >/dev/null ||
    fail "$CHROMIUM is missing and there is no apt-get; install Chromium there by hand"
command -v timeout >/dev/null || fail "the 'timeout' command (coreutils) is missing"

export DEBIAN_FRONTEND=noninteractive
apt_step() {
    # $1: what the step is, for the one-line reason; the rest: apt-get arguments.
    local what="$1"
    shift
    local rc=0
    timeout "$STEP_TIMEOUT_S" apt-get -q -o DPkg::Lock::Timeout="$LOCK_TIMEOUT_S" "$@" \
        >>"$LOG" 2>&1 || rc=$?
    if [[ $rc -eq 124 ]]; then
        fail "apt-get $what did not finish within ${STEP_TIMEOUT_S}s (log: $LOG)"
    elif [[ $rc -ne 0 ]]; then
        fail "apt-get $what failed (exit $rc): $(tail -n 1 "$LOG") (log: $LOG)"
    fi
}

echo "install-chromium: installing chromium with apt-get (log: $LOG)"
apt_step update update
apt_step "install chromium" install -y chromium

[[ -x "$CHROMIUM" ]] || fail "apt-get installed chromium but $CHROMIUM is not there (log: $LOG)"
echo "install-chromium: installed $CHROMIUM ($(version))"
rm -f "$LOG"
