"""Typed errors for authentication and TLS, and where the client takes its token from."""

from __future__ import annotations

import pytest

from aisref.client import AccessDenied, AuthenticationRequired, Client
from aisref.client.errors import error_from_reply

TOKEN_REQUIRED = ('{"message":"token required","method":"GET","url_path":"/v1/buckets",'
                  '"status":401}')


def test_401_is_authentication_required_saying_how_to_pass_a_token() -> None:
    err = error_from_reply(401, TOKEN_REQUIRED, "http://127.0.0.1:1/v1/buckets/b")
    assert isinstance(err, AuthenticationRequired)
    assert err.status == 401
    assert str(err).startswith("HTTP 401: token required - this AIStore cluster requires")
    assert "Client(endpoint, token=...)" in str(err)


def test_403_is_access_denied() -> None:
    err = error_from_reply(403, '{"message":"insufficient permissions"}', "u")
    assert isinstance(err, AccessDenied) and err.status == 403


def test_client_takes_the_token_from_ais_authn_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIS_AUTHN_TOKEN", "from-env")
    assert Client("http://127.0.0.1:1").request_client.token == "from-env"


def test_explicit_token_wins_over_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AIS_AUTHN_TOKEN", "from-env")
    assert Client("http://127.0.0.1:1", token="given").request_client.token == "given"


def test_client_without_a_token_sends_none(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("AIS_AUTHN_TOKEN", raising=False)
    assert Client("http://127.0.0.1:1").request_client.token is None


def test_client_repr_does_not_show_the_token() -> None:
    client = Client("http://127.0.0.1:1", token="s3cr3t-token")
    assert "s3cr3t-token" not in repr(client) + repr(client.request_client)
