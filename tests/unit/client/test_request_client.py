"""RequestClient against a scripted local server: redirects, retries, errors, token, pickling."""

from __future__ import annotations

import logging
import pickle
from typing import Any

import pytest
import requests

from aisref.client import (
    AISError,
    BucketNotFound,
    ClusterUnreachable,
    ObjectNotFound,
    RequestClient,
)
from aisref.client.retry import node_unreachable
from tests.unit.client.fake_ais import FakeAIS, Reply, Seen, fast_client, running_fake

TOKEN = "tok-3f9c-SECRET"
NOT_FOUND = b'{"tcode":"ErrNotFound","message":"ais://b/o does not exist","status":404}'


def test_path_is_relative_to_v1(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200, b"ok"))
    fast_client(fake_ais.url).request("GET", "buckets/b", params={"provider": "ais"})
    assert fake_ais.seen[0].path == "/v1/buckets/b?provider=ais"


def test_params_are_encoded_as_requests_encodes_them(fake_ais: FakeAIS) -> None:
    # Requests are prepared by the client itself (not Session.request): None values are
    # left out, a list repeats its key, reserved characters are quoted.
    fake_ais.script(Reply(200))
    params = {"prefix": "a b/c&d", "skip": None, "props": ["name", "size"], "n": 3}
    fast_client(fake_ais.url).request("GET", "buckets/b", params=params)
    assert fake_ais.seen[0].path == "/v1/buckets/b?prefix=a+b%2Fc%26d&props=name&props=size&n=3"


def test_full_url_encodes_params_as_requests_does() -> None:
    client = RequestClient("http://127.0.0.1:1")
    params = {"provider": "ais", "archpath": "dir/x y.txt", "skip": None}
    assert client.full_url("objects/b/o%201", params) == requests.Request(
        "GET", "http://127.0.0.1:1/v1/objects/b/o%201", params=params
    ).prepare().url


def test_session_headers_cookies_hooks_and_auth_apply_to_every_hop(fake_ais: FakeAIS) -> None:
    hops: list[int] = []

    class CustomSessionClient(RequestClient):
        def new_session(self) -> requests.Session:
            session = super().new_session()
            session.headers["X-Team"] = "vision"
            session.cookies.set("affinity", "rack-7")
            session.hooks["response"].append(lambda r, *args, **kwargs: hops.append(r.status_code))
            session.auth = ("reader", "pw")
            return session

    fake_ais.script(Reply(307, headers={"Location": f"{fake_ais.url}/t/o"}), Reply(200, b"x"))
    client = CustomSessionClient(fake_ais.url, retries=0)
    client.request("GET", "objects/b/o", headers={"Range": "bytes=0-0"})
    assert hops == [307, 200]
    for seen in fake_ais.seen:
        assert seen.headers["X-Team"] == "vision"
        assert seen.headers["Cookie"] == "affinity=rack-7"
        assert seen.headers["User-Agent"].startswith("aisref/")
        assert seen.headers["Authorization"] == "Basic cmVhZGVyOnB3"  # reader:pw
    assert fake_ais.seen[1].headers["Range"] == "bytes=0-0"


def test_body_is_sent_once_to_the_redirect_target(fake_ais: FakeAIS) -> None:
    def route(seen: Seen) -> Reply:
        if seen.path.startswith("/v1/objects/"):
            return Reply(307, headers={"Location": f"{fake_ais.url}/target/o?pid=p"})
        return Reply(200)

    fake_ais.route = route
    fast_client(fake_ais.url).request(
        "PUT", "objects/b/o", params={"provider": "ais"}, data=b"x" * 1000
    )
    assert [(s.path, len(s.body)) for s in fake_ais.seen] == [
        ("/v1/objects/b/o?provider=ais", 0),
        ("/target/o?pid=p", 1000),
    ]


def test_chunk_iterable_body_reaches_target_whole(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(307, headers={"Location": f"{fake_ais.url}/target/o"}), Reply(200))
    fast_client(fake_ais.url).request("PUT", "objects/b/o", data=iter([b"ab", b"cd", b"e"]))
    assert fake_ais.seen[1].body == b"abcde"


def test_error_before_redirect_never_sends_the_body(fake_ais: FakeAIS) -> None:
    missing = b'{"tcode":"ErrBckNotFound","message":"bucket \\"ais://b\\" does not exist"}'
    fake_ais.script(Reply(404, missing))
    with pytest.raises(BucketNotFound):
        fast_client(fake_ais.url).request("PUT", "objects/b/o", data=b"payload")
    assert [s.body for s in fake_ais.seen] == [b""]


def test_get_follows_redirect_to_target(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(301, headers={"Location": f"{fake_ais.url}/t/o"}), Reply(200, b"data"))
    response = fast_client(fake_ais.url).request("GET", "objects/b/o")
    assert response.content == b"data"


def test_head_follows_redirect_to_target(fake_ais: FakeAIS) -> None:
    fake_ais.script(
        Reply(307, headers={"Location": f"{fake_ais.url}/t/o"}),
        Reply(200, headers={"ais-version": "3"}),
    )
    response = fast_client(fake_ais.url).request("HEAD", "objects/b/o")
    assert response.headers["ais-version"] == "3"


@pytest.mark.parametrize("method", ["GET", "HEAD", "PUT", "DELETE"])
def test_idempotent_methods_retry_transient_statuses(fake_ais: FakeAIS, method: str) -> None:
    fake_ais.script(Reply(503), Reply(429), Reply(200))
    client = fast_client(fake_ais.url)
    client.request(method, "buckets/b")
    assert client.retries_made == 2


def test_post_is_never_retried(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(503, b'{"message":"busy"}'), Reply(200))
    client = fast_client(fake_ais.url)
    with pytest.raises(AISError) as info:
        client.request("POST", "buckets/b", json={"action": "create-bck"})
    assert info.value.status == 503
    assert client.retries_made == 0
    assert len(fake_ais.seen) == 1


def test_one_shot_body_is_not_retried(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(307, headers={"Location": f"{fake_ais.url}/t/o"}), Reply(500), Reply(200))
    client = fast_client(fake_ais.url)
    with pytest.raises(AISError):
        client.request("PUT", "objects/b/o", data=iter([b"abc"]))
    assert client.retries_made == 0


def test_retries_stop_after_the_configured_count(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(500, b'{"message":"boom","status":500}')
    client = fast_client(fake_ais.url, retries=2)
    with pytest.raises(AISError, match="boom"):
        client.request("GET", "buckets/b")
    assert len(fake_ais.seen) == 3
    assert client.retries_made == 2


def test_retry_false_makes_one_attempt(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(503)
    client = fast_client(fake_ais.url)
    with pytest.raises(AISError):
        client.request("GET", "health", retry=False)
    assert len(fake_ais.seen) == 1


# AIStore v1.5's proxy, listing a bucket while a target is killed (seen on the real cluster).
_LISTING_FAILED = (b'{"message":"p[proxy21080]: failed to call t[target21081] list[L_1], err: '
                   b'Get \\"http://127.0.0.2:21081/v1/buckets/b\\": read tcp 127.0.0.1:44030->'
                   b'127.0.0.2:21081: read: connection reset by peer","status":400}')


# The same, when the proxy's write to the killed target fails first (seen in the fault tests).
_LISTING_BROKEN_PIPE = (
    b'{"message":"p[proxy21100]: failed to call t[target21103] list[GtpJwQsew], err: Get '
    b'\\"http://127.0.0.2:21103/v1/buckets/b\\": readfrom tcp 127.0.0.1:35790->127.0.0.2:21103: '
    b'write tcp 127.0.0.1:35790->127.0.0.2:21103: write: broken pipe","status":400}')


# ... and when the target's connection closed under the proxy's call (fault tests, fresh clone).
_LISTING_EOF = (b'{"message":"p[proxy21120]: failed to call t[target21123] list[Xmnql2SIo], err: '
                b'Get \\"http://127.0.0.2:21123/v1/buckets/b?provider=ais\\": EOF","status":400}')


# ... and "use of closed network connection" (fault tests, another fresh clone).
_LISTING_CLOSED = (
    b'{"message":"p[proxy21120]: failed to call t[target21121] list[I3RdN2CIo], err: Get '
    b'\\"http://127.0.0.2:21121/v1/buckets/b?provider=ais\\": readfrom tcp 127.0.0.1:59766->'
    b'127.0.0.2:21121: write tcp 127.0.0.1:59766->127.0.0.2:21121: use of closed network '
    b'connection","status":400}')


@pytest.mark.parametrize("message", [_LISTING_FAILED, _LISTING_BROKEN_PIPE, _LISTING_EOF,
                                     _LISTING_CLOSED],
                         ids=["connection-reset", "broken-pipe", "eof", "closed-connection"])
def test_a_400_saying_a_node_could_not_be_reached_is_retried(
        fake_ais: FakeAIS, message: bytes) -> None:
    fake_ais.script(Reply(400, message), Reply(200))
    client = fast_client(fake_ais.url)
    client.request("GET", "buckets/b")
    assert client.retries_made == 1


def test_a_400_that_merely_mentions_eof_is_not_a_node_it_could_not_reach() -> None:
    assert not node_unreachable(400, "invalid archive: unexpected EOF in the tar header")


def test_a_plain_400_is_not_retried(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(400, b'{"message":"invalid query","status":400}')
    with pytest.raises(AISError, match="invalid query"):
        fast_client(fake_ais.url).request("GET", "buckets/b")
    assert len(fake_ais.seen) == 1


def test_not_implemented_is_not_retried(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(501, b'{"message":"nope"}')
    with pytest.raises(AISError):
        fast_client(fake_ais.url).request("GET", "objects/b/o")
    assert len(fake_ais.seen) == 1


def test_connection_refused_is_retried_then_cluster_unreachable(closed_port_url: str) -> None:
    client = fast_client(closed_port_url, retries=2)
    with pytest.raises(ClusterUnreachable) as info:
        client.request("GET", "buckets/b")
    assert client.retries_made == 2
    assert closed_port_url in info.value.message
    assert "timeout connect 2 s, read 5 s" in info.value.message


def test_status_error_is_typed_by_path(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(404, NOT_FOUND))
    with pytest.raises(ObjectNotFound, match="ais://b/o does not exist"):
        fast_client(fake_ais.url).request("GET", "objects/b/o")


def test_token_travels_as_bearer_header(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(200))
    fast_client(fake_ais.url, token=TOKEN).request("GET", "buckets/b")
    assert fake_ais.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"
    assert TOKEN not in fake_ais.seen[0].path


def test_token_is_never_in_error_text_even_if_echoed(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(400, f'{{"message":"bad header Bearer {TOKEN}"}}'.encode()))
    with pytest.raises(AISError) as info:
        fast_client(fake_ais.url, token=TOKEN).request("GET", "buckets/b")
    assert TOKEN not in str(info.value)
    assert TOKEN not in repr(info.value)
    assert TOKEN not in info.value.url


def test_token_is_never_in_unreachable_error(closed_port_url: str) -> None:
    with pytest.raises(ClusterUnreachable) as info:
        fast_client(closed_port_url, retries=0, token=TOKEN).request("GET", "buckets/b")
    assert TOKEN not in str(info.value)


def test_token_is_never_in_repr() -> None:
    assert TOKEN not in repr(RequestClient("http://127.0.0.1:1", token=TOKEN))


def test_token_is_never_logged(fake_ais: FakeAIS, caplog: pytest.LogCaptureFixture) -> None:
    fake_ais.script(Reply(503), Reply(307, headers={"Location": f"{fake_ais.url}/t"}), Reply(200))
    caplog.set_level(logging.DEBUG)
    fast_client(fake_ais.url, token=TOKEN).request("PUT", "objects/b/o", data=b"x")
    assert caplog.records
    assert all(TOKEN not in record.getMessage() for record in caplog.records)


def test_pickling_drops_the_session_and_keeps_settings() -> None:
    client = RequestClient("http://127.0.0.1:1", timeout=3.0, retries=5, token=TOKEN)
    _ = client.session
    copy = pickle.loads(pickle.dumps(client))
    assert copy._session is None
    assert (copy.endpoint, copy.timeout, copy.retries, copy.token) == (
        "http://127.0.0.1:1",
        3.0,
        5,
        TOKEN,
    )


def test_clone_has_same_settings_and_a_fresh_session() -> None:
    client = RequestClient("http://127.0.0.1:1/", timeout=(1.0, 2.0), retries=1, verify=False)
    clone = client.clone()
    assert (clone.base_url, clone.timeout, clone.retries, clone.verify) == (
        "http://127.0.0.1:1/v1",
        (1.0, 2.0),
        1,
        False,
    )
    assert clone.session is not client.session


def test_session_is_created_once_and_reused() -> None:
    client = RequestClient("http://127.0.0.1:1")
    assert isinstance(client.session, requests.Session)
    assert client.session is client.session


class RecordingSession(requests.Session):
    def __init__(self) -> None:
        super().__init__()
        self.sent = 0

    def send(self, request: requests.PreparedRequest, **kwargs: Any) -> requests.Response:
        self.sent += 1
        return super().send(request, **kwargs)


def test_subclass_session_is_used_for_every_request(fake_ais: FakeAIS) -> None:
    own = RecordingSession()

    class OwnSessionClient(RequestClient):
        @property
        def session(self) -> requests.Session:
            return own

    fake_ais.script(Reply(307, headers={"Location": f"{fake_ais.url}/t"}), Reply(200), Reply(200))
    client = OwnSessionClient(fake_ais.url)
    client.request("PUT", "objects/b/o", data=b"x")
    client.request("GET", "buckets/b")
    assert own.sent == len(fake_ais.seen) == 3


def test_token_survives_redirect_to_another_port(fake_ais: FakeAIS) -> None:
    with running_fake() as target:
        target.script(Reply(200, b"data"))
        fake_ais.script(Reply(301, headers={"Location": f"{target.url}/v1/objects/b/o?pid=p"}))
        fast_client(fake_ais.url, token=TOKEN).request("GET", "objects/b/o")
    assert target.seen[0].headers["Authorization"] == f"Bearer {TOKEN}"


def test_relative_redirect_location_is_resolved(fake_ais: FakeAIS) -> None:
    fake_ais.script(Reply(307, headers={"Location": "/elsewhere?x=1"}), Reply(200, b"ok"))
    assert fast_client(fake_ais.url).request("HEAD", "objects/b/o").status_code == 200
    assert fake_ais.seen[1].path == "/elsewhere?x=1"


def test_body_goes_to_the_node_itself_when_not_redirected(fake_ais: FakeAIS) -> None:
    fake_ais.route = lambda seen: Reply(200)
    fast_client(fake_ais.url).request("PUT", "objects/b/o", data=b"abc")
    assert [s.body for s in fake_ais.seen] == [b"", b"abc"]


def test_endpoint_without_scheme_is_rejected() -> None:
    with pytest.raises(ValueError, match="http://"):
        RequestClient("127.0.0.1:8080")
