#!/usr/bin/env bash
# Idempotent set-up for a fresh machine: .venv with aisbench and its dev extras, then aisnode,
# aisloader and authn (AIStore's authentication server) built with `go install` from AIStore's Go
# module at the version pinned in tools/aisnode-build/go.mod, into .ais/bin (git-ignored).
# Steps already done are skipped.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$root"
say() { printf '[setup] %s\n' "$*"; }

# 1. Python: a virtualenv with the project (editable) and its dev extras, and the example
#    strategy plugin (its entry points are what `aisbench strategies` and the tests find).
python="${PYTHON:-python3}"
if [ ! -x .venv/bin/python ]; then
  say "creating .venv with $($python --version 2>&1)"
  "$python" -m venv .venv
fi
stamp=.venv/.aisbench-installed
example=examples/aisbench-plugin-example
want_hash="$(cat pyproject.toml "$example/pyproject.toml" | sha256sum | cut -c1-16)"
if [ "$(cat "$stamp" 2>/dev/null || true)" != "$want_hash" ]; then
  say "installing aisbench[dev] and $example into .venv (torch is large the first time; pip's cache serves later runs)"
  .venv/bin/python -m pip install --quiet --upgrade pip
  .venv/bin/python -m pip install --quiet -e '.[dev]' -e "$example"
  echo "$want_hash" > "$stamp"
else
  say ".venv is up to date"
fi

# 2. Loopback aliases 127.0.0.2/.3, so every aisnode listens on loopback only (see
#    aisbench/cluster/config.py); without them AIStore binds its public port on all interfaces.
if command -v ip >/dev/null 2>&1; then
  for alias in 127.0.0.2 127.0.0.3; do
    if ! ip -4 addr show dev lo | grep -q "inet $alias/"; then
      if [ "$(id -u)" = 0 ]; then
        ip addr add "$alias/8" dev lo && say "added loopback alias $alias"
      else
        say "note: loopback alias $alias is missing; as root: ip addr add $alias/8 dev lo"
      fi
    fi
  done
fi

# 3. AIStore binaries at the pinned version (not needed with AIS_ENDPOINT or AISNODE_BIN).
if [ -n "${AIS_ENDPOINT:-}" ]; then
  say "AIS_ENDPOINT=$AIS_ENDPOINT: using that cluster, not building aisnode"
  exit 0
fi
if [ -n "${AISNODE_BIN:-}" ]; then
  say "AISNODE_BIN=$AISNODE_BIN: using that binary, not building aisnode"
  exit 0
fi
pinned="$(awk '$1 == "require" && $2 == "github.com/NVIDIA/aistore" {print $3}' tools/aisnode-build/go.mod)"
bin="$root/.ais/bin"
# The binaries name their build with the module version (AIStore's Makefile stamps a git hash the
# same way); unstamped, aisnode calls itself "5.0." with a dangling dot.
stamp="$pinned build=$pinned"
# The VERSION stamp is written only after all three are built, so it vouches for all three.
if [ -x "$bin/aisnode" ] && [ -x "$bin/aisloader" ] && [ -x "$bin/authn" ] \
   && [ "$(cat "$bin/VERSION" 2>/dev/null || true)" = "$stamp" ]; then
  say "aisnode, aisloader and authn $pinned are in .ais/bin"
  exit 0
fi
if ! command -v go >/dev/null 2>&1; then
  echo "[setup] error: Go is not installed, so aisnode (AIStore $pinned) cannot be built." >&2
  echo "[setup] Install Go >= 1.26, or point AISNODE_BIN=/path/to/aisnode at an existing AIStore $pinned binary," >&2
  echo "[setup] or set AIS_ENDPOINT=http://127.0.0.1:PORT to use a running cluster." >&2
  exit 3
fi
say "building aisnode, aisloader and authn $pinned with $(go version | cut -d' ' -f3) (a few minutes the first time)"
mkdir -p "$bin"
rm -f "$bin/VERSION"  # a half-finished build must not look complete
# The build module pins AIStore in go.mod/go.sum; `go install pkg@version` cannot be used because
# the module proxy refuses the version list that step asks for.
(cd tools/aisnode-build && GOBIN="$bin" CGO_ENABLED=0 GOFLAGS=-buildvcs=false \
  go install -ldflags "-X main.build=$pinned" github.com/NVIDIA/aistore/cmd/aisnode \
    github.com/NVIDIA/aistore/cmd/aisloader github.com/NVIDIA/aistore/cmd/authn)
echo "$stamp" > "$bin/VERSION"
say "built $("$bin/aisnode" -h 2>&1 | grep -m1 -o 'Version [^ ]*') into .ais/bin"
