"""The pure parts of HTTPS and token checks: configs, keys, control tokens, certificates."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import subprocess
from pathlib import Path
from typing import Any

from aisbench.cluster.authn import (
    READ_WRITE_PERMISSIONS,
    ClusterAuth,
    TokenRequest,
    auth_from_section,
    auth_section,
    authn_config,
    control_token,
)
from aisbench.cluster.config import cluster_config
from aisbench.cluster.health import ClusterAccess
from aisbench.cluster.state import ClusterState, state_from_json, state_to_json
from aisbench.cluster.tls import LOOPBACK_HOSTS, TlsFiles, make_self_signed

URL = "https://127.0.0.1:51080"
TLS = TlsFiles(ca=Path("/s/tls/ca.crt"), cert=Path("/s/tls/server.crt"),
               key=Path("/s/tls/server.key"))


def _decode(part: str) -> Any:
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_plain_cluster_config_has_no_tls_and_no_auth() -> None:
    config = cluster_config(URL)
    assert config["net"]["http"]["use_https"] is False
    assert config["auth"] == {}


def test_tls_cluster_config_serves_the_certificate_and_trusts_the_ca() -> None:
    http = cluster_config(URL, tls=TLS)["net"]["http"]
    assert (http["use_https"], http["server_crt"], http["server_key"]) == (
        True, "/s/tls/server.crt", "/s/tls/server.key")
    assert (http["client_ca_tls"], http["client_auth_tls"], http["skip_verify"]) == (
        "/s/tls/ca.crt", 0, False)


def test_auth_cluster_config_requires_hs256_tokens_signed_with_the_key() -> None:
    auth = ClusterAuth(hmac_key="k" * 64)
    assert cluster_config(URL, auth=auth)["auth"] == {
        "client_auth_required": True, "signature": {"key": "k" * 64, "method": "HS256"}}


def test_auth_section_reads_back_into_the_same_key() -> None:
    auth = ClusterAuth.generate()
    assert auth_from_section(auth_section(auth)) == auth
    assert auth_from_section({}) is None


def test_generated_keys_are_long_and_distinct() -> None:
    first, second = ClusterAuth.generate(), ClusterAuth.generate()
    assert len(first.hmac_key) == 64 and first != second


def test_key_and_token_are_kept_out_of_reprs() -> None:
    auth = ClusterAuth.generate()
    access = ClusterAccess(verify="/ca.crt", token="secret-token")
    assert auth.hmac_key not in repr(auth)
    assert "secret-token" not in repr(access)
    assert access.headers == {"Authorization": "Bearer secret-token"}
    assert ClusterAccess().headers == {}


def test_control_token_is_an_hs256_admin_jwt_signed_with_the_key() -> None:
    auth = ClusterAuth(hmac_key="shared")
    token = control_token(auth, ttl_s=60, now=1_000_000)
    header, claims, signature = token.split(".")
    assert _decode(header) == {"alg": "HS256", "typ": "JWT"}
    assert _decode(claims) == {"sub": "aisbench-control", "admin": True, "iat": 1_000_000,
                               "exp": 1_000_060}
    expected = hmac.new(b"shared", f"{header}.{claims}".encode(), hashlib.sha256).digest()
    assert base64.urlsafe_b64decode(signature + "=" * (-len(signature) % 4)) == expected


def test_token_requests_default_to_read_write_on_any_cluster_trusting_the_key() -> None:
    request = TokenRequest(user="bench")
    assert request.cluster_uuid == ""
    assert request.permissions == READ_WRITE_PERMISSIONS == 127807


def test_authn_config_listens_on_the_given_port_and_logs_in_the_workdir() -> None:
    config = authn_config(Path("/w"), 52001)
    assert config["net"]["http"] == {"port": 52001, "use_https": False, "server_crt": "",
                                     "server_key": ""}
    assert config["log"]["dir"] == "/w/log"
    assert "secret" not in json.dumps(config)  # the key travels in the environment


def test_state_keeps_the_ca_bundle_and_whether_tokens_are_required() -> None:
    state = ClusterState(backend="local", endpoint=URL, proxies=1, targets=1, mountpaths=1,
                         nodes=(), ca_bundle="/s/tls/ca.crt", auth_required=True)
    assert state_from_json(state_to_json(state)) == state


def test_self_signed_certificate_names_every_loopback_address(tmp_path: Path) -> None:
    files = make_self_signed(tmp_path)
    text = subprocess.run(["openssl", "x509", "-in", str(files.cert), "-noout", "-text"],
                          capture_output=True, text=True, check=True, timeout=30).stdout
    for host in LOOPBACK_HOSTS:
        assert f"IP Address:{host}" in text
    verified = subprocess.run(["openssl", "verify", "-CAfile", str(files.ca), str(files.cert)],
                              capture_output=True, text=True, timeout=30)
    assert verified.returncode == 0, verified.stderr
    assert files.key.stat().st_mode & 0o777 == 0o600


def test_self_signed_files_are_reused_while_valid(tmp_path: Path) -> None:
    first = make_self_signed(tmp_path)
    stamp = first.cert.stat().st_mtime_ns
    assert make_self_signed(tmp_path) == first
    assert first.cert.stat().st_mtime_ns == stamp
