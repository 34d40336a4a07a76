"""Token checks on a local cluster, with tokens issued by AIStore's own AuthN service.

The cluster and AuthN share one HMAC key: AuthN signs JWTs with it (`auth.secret` in
authn.json), every aisnode checks them with it (`auth.signature` in ais.json), so the cluster
never calls AuthN. AuthN v1.5.0 listens on every interface (cmd/authn/hserv.go `":"+port`, with
no setting to narrow it), so it only ever runs inside a private network namespace whose one
interface is loopback (`unshare --net`): there it creates a user, issues that user's token and
stops. The token comes back through a pipe; it is never logged, put in argv, or written to disk.

aisbench's own control calls (readiness, status) use :func:`control_token`, a short-lived admin
token signed with the same key: the cluster controller holds the key anyway, and readiness must
not depend on AuthN running.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import os
import secrets
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import requests

from aisbench.cluster.base import ClusterError

# apc.AccessRW | apc.ClusterAccessRW (api/apc/access.go): read/write objects, list, create and
# destroy buckets; not ADMIN.
READ_WRITE_PERMISSIONS = 831 | 126976
_ISSUE_TIMEOUT_S = 60.0
_AUTHN_PORT = 52001  # any port works: it is inside the private namespace
_ROLE = "aisbench-rw"


@dataclass(frozen=True)
class ClusterAuth:
    """Require a token on every client request; tokens are HS256 JWTs signed with `hmac_key`.

    The key is left out of ``repr`` so it never lands in a log line.
    """

    hmac_key: str = field(repr=False)

    @staticmethod
    def generate() -> ClusterAuth:
        return ClusterAuth(hmac_key=secrets.token_hex(32))


@dataclass(frozen=True)
class TokenRequest:
    """Who to issue a token for, with which permissions on which cluster.

    `cluster_uuid` "" grants the permissions on every cluster that trusts the key (AuthN's
    default-cluster entry, cmd/authn/tok/token.go aclForCluster).
    """

    user: str
    cluster_uuid: str = ""
    permissions: int = READ_WRITE_PERMISSIONS


def control_token(auth: ClusterAuth, ttl_s: float = 900.0, now: float | None = None) -> str:
    """An HS256 JWT with admin rights for `ttl_s` seconds (claims as AuthN's, api/authn)."""
    issued = int(time.time() if now is None else now)
    header = {"alg": "HS256", "typ": "JWT"}
    claims = {"sub": "aisbench-control", "admin": True, "iat": issued,
              "exp": issued + int(ttl_s)}
    signing_input = f"{_b64(json.dumps(header))}.{_b64(json.dumps(claims))}"
    signature = hmac.new(auth.hmac_key.encode(), signing_input.encode(), hashlib.sha256).digest()
    return f"{signing_input}.{_b64(signature)}"


def _b64(data: str | bytes) -> str:
    raw = data.encode() if isinstance(data, str) else data
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def auth_section(auth: ClusterAuth | None) -> dict[str, Any]:
    """ais.json's `auth` section (cmn/config.go AuthConf): empty means no token checks."""
    if auth is None:
        return {}
    return {"client_auth_required": True,
            "signature": {"key": auth.hmac_key, "method": "HS256"}}


def auth_from_section(section: dict[str, Any]) -> ClusterAuth | None:
    """The inverse of :func:`auth_section` (reads a written ais.json back)."""
    if not section.get("client_auth_required"):
        return None
    return ClusterAuth(hmac_key=str(section["signature"]["key"]))


def authn_config(workdir: Path, port: int) -> dict[str, Any]:
    """authn.json (api/authn/config.go Config); the secret comes from the environment."""
    return {
        "log": {"dir": str(workdir / "log"), "level": "3"},
        "net": {"http": {"port": port, "use_https": False, "server_crt": "", "server_key": ""}},
        "auth": {"expiration_time": "2h"},
        "timeout": {"default_timeout": "30s"},
    }


def issue_token(authn_binary: Path, workdir: Path, auth: ClusterAuth,
                request: TokenRequest) -> str:
    """Start AuthN in a private network namespace, issue `request.user` a token, stop AuthN.

    Raises:
        ClusterError: `unshare` is unavailable or not permitted, AuthN failed to start, or a
            REST call failed (the message names the step; it never contains the token).
    """
    unshare = shutil.which("unshare")
    if unshare is None:
        raise ClusterError("`unshare` (util-linux) is needed to run AuthN on loopback only")
    workdir.mkdir(parents=True, exist_ok=True)
    # AuthN keeps its users (admin included, with the password of its first start) in a
    # database in its config folder, so every issue starts it on a folder of its own: a token's
    # validity rests on the HMAC key alone. The folder goes once the token is out.
    run_dir = Path(tempfile.mkdtemp(prefix="issue-", dir=workdir))
    job = {"binary": str(authn_binary), "workdir": str(run_dir), "hmac_key": auth.hmac_key,
           "user": request.user, "cluster_uuid": request.cluster_uuid,
           "permissions": request.permissions}
    # Unprivileged users get the namespace inside a user namespace of their own.
    as_user = [] if os.geteuid() == 0 else ["--user", "--map-root-user"]
    argv = [unshare, *as_user, "--net", "--", sys.executable, "-m", "aisbench.cluster.authn"]
    try:
        proc = subprocess.run(argv, input=json.dumps(job), capture_output=True, text=True,
                              timeout=_ISSUE_TIMEOUT_S, env=_clean_env())
    except subprocess.TimeoutExpired as exc:
        raise ClusterError(f"AuthN did not issue a token within {_ISSUE_TIMEOUT_S:.0f} s; "
                           f"see {run_dir / 'log'}") from exc
    if proc.returncode != 0:
        raise ClusterError(f"issuing a token with AuthN failed (exit {proc.returncode}): "
                           f"{proc.stderr.strip()[-800:]} (AuthN's files: {run_dir})")
    shutil.rmtree(run_dir, ignore_errors=True)
    token = json.loads(proc.stdout)["token"]
    return str(token)


def _clean_env() -> dict[str, str]:
    return {k: v for k, v in os.environ.items() if not k.startswith(("AIS_", "KUBERNETES_"))}


# -- inside the namespace ----------------------------------------------------------------------


def _run_in_namespace(job: dict[str, Any]) -> str:
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True, timeout=10)
    workdir = Path(job["workdir"])
    (workdir / "authn.json").write_text(json.dumps(authn_config(workdir, _AUTHN_PORT)))
    admin_password = secrets.token_urlsafe(24)
    env = {**_clean_env(), "AIS_AUTHN_SU_PASS": admin_password,
           "AIS_AUTHN_SECRET_KEY": job["hmac_key"]}
    with open(workdir / "authn.out", "ab") as out:
        proc = subprocess.Popen([job["binary"], f"-config={workdir}"], stdout=out,
                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env)
    try:
        base = f"http://127.0.0.1:{_AUTHN_PORT}/v1"
        _wait_listening(base, proc)
        admin = _login(base, "admin", admin_password)
        user_password = secrets.token_urlsafe(24)
        role = {"name": _ROLE, "desc": "aisbench read-write", "admin": False,
                "clusters": [{"id": job["cluster_uuid"], "perm": str(job["permissions"])}],
                "buckets": []}
        _call(base, "POST", "roles", admin, role, "create role")
        user = {"id": job["user"], "pass": user_password, "roles": [{"name": _ROLE}]}
        _call(base, "POST", "users", admin, user, "create user")
        return _login(base, job["user"], user_password)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=5)


def _wait_listening(base: str, proc: subprocess.Popen[bytes], timeout_s: float = 20.0) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"authn exited with {proc.returncode} at start")
        try:
            requests.get(f"{base}/users", timeout=1.0)
            return
        except requests.ConnectionError:
            time.sleep(0.1)
    raise RuntimeError(f"authn not listening after {timeout_s:.0f} s")


def _login(base: str, user: str, password: str) -> str:
    response = requests.post(f"{base}/users/{user}", json={"password": password}, timeout=10)
    if response.status_code != 200:
        raise RuntimeError(f"log in as {user!r}: HTTP {response.status_code} {response.text}")
    return str(response.json()["token"])


def _call(base: str, method: str, path: str, token: str, body: Any, what: str) -> None:
    response = requests.request(method, f"{base}/{path}", json=body, timeout=10,
                                headers={"Authorization": f"Bearer {token}"})
    if response.status_code >= 300:
        raise RuntimeError(f"{what}: HTTP {response.status_code} {response.text}")


def main() -> int:
    job = json.loads(sys.stdin.read())
    try:
        token = _run_in_namespace(job)
    except (RuntimeError, OSError, subprocess.SubprocessError, requests.RequestException) as exc:
        print(f"{type(exc).__name__}: {exc}", file=sys.stderr)
        return 1
    print(json.dumps({"token": token}))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
