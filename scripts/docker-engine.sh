#!/usr/bin/env bash
# Make sure a Docker engine answers on this machine; start one if we may.
#
# Idempotent: exits 0 at once when an engine already answers. Otherwise, as root, installs
# Debian's docker.io if dockerd is missing and starts
#   dockerd --bridge=none --iptables=false
# in the background (no bridge network is ever created: aisbench containers use host
# networking only). On failure it exits non-zero and prints ONE line saying why
# (the test suite's docker fixture shows that line when it skips).
#
# Every wait is bounded. Settings (environment):
#   AISBENCH_DOCKER_STATE   where dockerd's log and pid file go  (default: <repo>/.ais/docker-engine)
#   AISBENCH_DOCKER_WAIT_S  seconds to wait for the socket        (default: 60)
#   AISBENCH_APT_TIMEOUT_S  seconds allowed for apt-get update+install (default: 900)
set -u -o pipefail

repo_root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
state_dir="${AISBENCH_DOCKER_STATE:-$repo_root/.ais/docker-engine}"
wait_s="${AISBENCH_DOCKER_WAIT_S:-60}"
apt_timeout_s="${AISBENCH_APT_TIMEOUT_S:-900}"
socket="/var/run/docker.sock"
log_file="$state_dir/dockerd.log"
pid_file="$state_dir/dockerd.pid"

fail() {
    echo "docker-engine: $*" >&2
    exit 1
}

engine_answers() {
    # _ping answers "OK" as soon as the API is up; bounded by curl's own timeout.
    if [[ -n "${DOCKER_HOST:-}" ]]; then
        command -v docker >/dev/null && timeout 10 docker version >/dev/null 2>&1
        return
    fi
    [[ -S "$socket" ]] || return 1
    if command -v curl >/dev/null; then
        [[ "$(curl -s --max-time 5 --unix-socket "$socket" http://localhost/_ping)" == "OK" ]]
    else
        command -v docker >/dev/null && timeout 10 docker version >/dev/null 2>&1
    fi
}

engine_answers && exit 0

[[ -n "${DOCKER_HOST:-}" ]] && fail "no Docker engine answers at DOCKER_HOST=$DOCKER_HOST; start it or unset DOCKER_HOST"
if [[ "$(id -u)" != "0" ]]; then
    [[ -S "$socket" && ! -w "$socket" ]] && fail "no permission to use $socket; add $(id -un) to the docker group or run as root"
    fail "no Docker engine answers at $socket and we are not root; start dockerd (with --bridge=none) or run as root"
fi

mkdir -p "$state_dir" || fail "cannot create $state_dir"

our_dockerd_running() {
    [[ -f "$pid_file" ]] || return 1
    local pid
    pid="$(cat "$pid_file" 2>/dev/null)" || return 1
    [[ -n "$pid" ]] && [[ "$(cat /proc/"$pid"/comm 2>/dev/null)" == "dockerd" ]]
}

if ! our_dockerd_running; then
    if ! command -v dockerd >/dev/null; then
        command -v apt-get >/dev/null || fail "dockerd is not installed and there is no apt-get to install docker.io; install Docker by hand"
        # A policy-rc.d that refuses service starts keeps the package from launching a dockerd
        # with its default (bridge) networking; we start our own below.
        temp_policy=""
        if [[ ! -e /usr/sbin/policy-rc.d ]]; then
            temp_policy=/usr/sbin/policy-rc.d
            printf '#!/bin/sh\nexit 101\n' >"$temp_policy" && chmod +x "$temp_policy"
        fi
        apt_log="$state_dir/apt.log"
        deadline=$((SECONDS + apt_timeout_s))
        timeout "$apt_timeout_s" apt-get update >"$apt_log" 2>&1
        update_rc=$?
        remaining=$((deadline - SECONDS)); ((remaining > 10)) || remaining=10
        if ((update_rc == 0)); then
            DEBIAN_FRONTEND=noninteractive timeout "$remaining" \
                apt-get install -y --no-install-recommends docker.io >>"$apt_log" 2>&1
            install_rc=$?
        else
            install_rc=$update_rc
        fi
        [[ -n "$temp_policy" ]] && rm -f "$temp_policy"
        ((update_rc == 0)) || fail "apt-get update failed (rc=$update_rc, see $apt_log); install docker.io by hand"
        ((install_rc == 0)) || fail "apt-get install docker.io failed (rc=$install_rc, see $apt_log)"
        command -v dockerd >/dev/null || fail "docker.io installed but dockerd is not on PATH"
    fi
    if [[ -S "$socket" ]] && ! engine_answers; then
        # A socket nobody answers on is left over from a dead daemon; dockerd refuses to start.
        pgrep -x dockerd >/dev/null && fail "a dockerd runs but does not answer on $socket; stop it or wait for it"
        rm -f "$socket"
    fi
    nohup dockerd --bridge=none --iptables=false --ip6tables=false \
        >>"$log_file" 2>&1 </dev/null &
    echo $! >"$pid_file"
fi

deadline=$((SECONDS + wait_s))
while ((SECONDS < deadline)); do
    engine_answers && exit 0
    if ! our_dockerd_running; then
        last="$(grep -v '^\s*$' "$log_file" 2>/dev/null | tail -n 1)"
        fail "dockerd exited at start (see $log_file): ${last:-no output}"
    fi
    sleep 1
done
fail "dockerd started but $socket did not answer within ${wait_s}s (see $log_file)"
