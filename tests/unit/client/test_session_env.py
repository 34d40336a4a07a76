"""Sessions read the environment once, at creation, not on every request."""

from __future__ import annotations

import pytest

from aisref.client.request_client import RequestClient


def test_session_does_not_reread_the_environment_per_request() -> None:
    assert RequestClient("http://127.0.0.1:8080").new_session().trust_env is False


def test_proxy_variables_are_applied_once_at_creation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.delenv("NO_PROXY", raising=False)
    monkeypatch.delenv("no_proxy", raising=False)
    session = RequestClient("http://ais.example:8080").new_session()
    assert session.proxies.get("http") == "http://127.0.0.1:3128"


def test_no_proxy_keeps_the_endpoint_direct(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:3128")
    monkeypatch.setenv("NO_PROXY", "127.0.0.1")
    assert "http" not in RequestClient("http://127.0.0.1:8080").new_session().proxies


def test_ca_bundle_variable_is_honoured_when_verify_is_default(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/ssl/ca.pem")
    assert RequestClient("https://127.0.0.1:8080").new_session().verify == "/etc/ssl/ca.pem"
    explicit = RequestClient("https://127.0.0.1:8080", verify="/tmp/mine.pem").new_session()
    assert explicit.verify == "/tmp/mine.pem"
