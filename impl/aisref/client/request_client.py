"""HTTP to one AIStore cluster: session, URLs, proxy→target redirects, retries, typed errors."""

from __future__ import annotations

import logging
import os
import re
import time
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import parse_qs, urlencode, urljoin, urlsplit

import requests

from aisref import __version__
from aisref.client.errors import (
    AISError,
    CertificateNotTrusted,
    ClusterUnreachable,
    error_from_reply,
)
from aisref.client.retry import RetryPolicy, node_unreachable
from aisref.client.shared_count import SharedCount

log = logging.getLogger(__name__)

Timeout = float | tuple[float, float]
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
_MAX_REDIRECTS = 5
_USER_AGENT = f"aisref/{__version__}"


class RequestClient:
    """Sends requests to ``<endpoint>/v1/...`` and returns successful responses.

    - Redirects: AIStore's proxy redirects object requests to the target that holds the object
      (301 for GET, 307 for PUT/HEAD). They are followed here, not by ``requests``, so the
      ``Authorization`` header reaches the target (``requests`` drops it when the port changes)
      and a body is sent once: the first hop goes without it (``allow_redirects=False``), the
      body goes straight to the target named in ``Location``.
    - Retries: only idempotent methods (GET, HEAD, PUT, DELETE) whose body can be replayed, on
      connection errors, timeouts, 429 and 5xx other than 501, with exponential backoff bounded
      by :class:`RetryPolicy` in both count and total seconds. ``retries_made`` counts them,
      including those of forked copies of this client (see :attr:`retries_made`). This covers
      a reply up to its headers; a body that breaks later is resumed by the object reader
      under the same policy (:mod:`aisref.client.resume`).
    - Errors: status >= 400 becomes a typed :class:`~aisref.client.errors.AISError`; no reply at
      all becomes :class:`~aisref.client.errors.ClusterUnreachable`.
    - Token: sent only in the ``Authorization: Bearer`` header; it never appears in URLs, logs,
      ``repr`` or error messages.

    Every request goes through the :attr:`session` property, so a subclass can hand out one
    session per process or DataLoader worker. Pickling drops the session.

    Args:
        endpoint: e.g. ``"http://127.0.0.1:8080"``.
        timeout: seconds; one number for both, or ``(connect, read)``.
        retries: retry attempts after the first try (0 disables retrying).
        token: bearer token for an authenticated cluster.
        verify: TLS verification: bool, or a CA bundle path.
        retry_budget: most seconds spent sleeping between retries of one request.
        retry_count: where to count retries; pass another client's ``retry_count`` to count
            into it (as :class:`~aisref.pytorch.WorkerRequestClient` does). Default: a new one.
    """

    def __init__(
        self,
        endpoint: str,
        timeout: Timeout = (5.0, 60.0),
        retries: int = 3,
        token: str | None = None,
        verify: bool | str = True,
        retry_budget: float = 30.0,
        retry_count: SharedCount | None = None,
    ) -> None:
        if not endpoint.startswith(("http://", "https://")):
            raise ValueError(f"endpoint {endpoint!r} must start with http:// or https://")
        self.endpoint = endpoint.rstrip("/")
        self.timeout = timeout
        self.retries = retries
        self.token = token
        self.verify = verify
        self.retry_policy = RetryPolicy(max_retries=retries, budget=retry_budget)
        self.retry_count = SharedCount() if retry_count is None else retry_count
        self._session: requests.Session | None = None
        self._session_pid = 0

    # -- configuration -------------------------------------------------------------------------

    @property
    def base_url(self) -> str:
        """``<endpoint>/v1``, without a trailing slash."""
        return f"{self.endpoint}/v1"

    @property
    def retries_made(self) -> int:
        """Retries made so far: by this client, by its copies in forked processes (DataLoader
        workers under the default ``fork`` start method) and by clients sharing its
        :attr:`retry_count`.

        A pickled copy (``spawn``/``forkserver`` workers) counts on its own from the value at
        pickling time; this client does not see those retries (see :class:`SharedCount`).
        """
        return self.retry_count.value

    @retries_made.setter
    def retries_made(self, value: int) -> None:
        self.retry_count.value = value

    @property
    def session(self) -> requests.Session:
        """The ``requests.Session`` used for every request, created lazily.

        A session is never shared across a fork: a child process gets a fresh one, since pooled
        sockets inherited from the parent would interleave two processes' bytes.
        """
        pid = os.getpid()
        if self._session is None or self._session_pid != pid:
            self._session = self.new_session()
            self._session_pid = pid
        return self._session

    def new_session(self) -> requests.Session:
        """A fresh session with this client's TLS setting (used by :attr:`session`)."""
        session = requests.Session()
        # With trust_env, requests re-reads every environment variable for proxy settings on
        # each request: about a quarter of the CPU of a small GET here. Read them once instead.
        session.trust_env = False
        session.proxies.update(requests.utils.get_environ_proxies(self.endpoint))
        session.verify = _ca_bundle_from_env() if self.verify is True else self.verify
        session.headers["User-Agent"] = _USER_AGENT
        return session

    def clone(self) -> RequestClient:
        """A new :class:`RequestClient` with the same settings, a fresh session, 0 retries made."""
        return RequestClient(
            self.endpoint,
            timeout=self.timeout,
            retries=self.retries,
            token=self.token,
            verify=self.verify,
            retry_budget=self.retry_policy.budget,
        )

    def __getstate__(self) -> dict[str, Any]:
        state = self.__dict__.copy()
        state["_session"] = None
        state["_session_pid"] = 0
        return state

    def __repr__(self) -> str:
        token = "set" if self.token else "none"
        return (
            f"{type(self).__name__}(endpoint={self.endpoint!r}, timeout={self.timeout!r}, "
            f"retries={self.retries}, token={token}, verify={self.verify!r})"
        )

    def full_url(self, path: str, params: Mapping[str, Any] | None = None) -> str:
        """Absolute URL of ``path`` (relative to ``/v1/``) with ``params`` encoded."""
        return _with_query(f"{self.base_url}/{path.lstrip('/')}", params)

    # -- requests ------------------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        data: bytes | Iterable[bytes] | None = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
        retry: bool = True,
    ) -> requests.Response:
        """Send one request to ``<endpoint>/v1/<path>`` and return the successful response.

        ``path`` must already be URL-quoted (object names are quoted by :class:`Object`).
        With ``stream=True`` the caller must close the response (or read it to the end).
        ``retry=False`` makes exactly one attempt (e.g. for readiness polling).

        Raises:
            AISError (a subclass where one fits) for status >= 400, ClusterUnreachable when no
            reply came after the retries.
        """
        method = method.upper()
        url = f"{self.base_url}/{path.lstrip('/')}"
        send_headers = self._headers(headers)
        replayable = data is None or isinstance(data, bytes | bytearray | memoryview)
        policy = self.retry_policy if retry and method in _IDEMPOTENT and replayable else None
        attempt = 0
        while True:
            try:
                response = self._send_once(method, url, params, json, data, send_headers, stream)
            except requests.exceptions.SSLError as err:
                if _CERT_UNVERIFIED in str(err):
                    raise self._untrusted(url, err) from None  # no retry fixes a trust gap
                raise self._unreachable(method, url, err, attempt) from None
            except _NO_REPLY as err:
                if policy is not None and policy.should_retry(attempt):
                    attempt = self.sleep_before_retry(policy, attempt, method, url, repr(err))
                    continue
                raise self._unreachable(method, url, err, attempt) from None
            if response.status_code < 400:
                return response
            if (
                policy is not None
                and (policy.is_retryable_status(response.status_code)
                     or node_unreachable(response.status_code, _error_text(response)))
                and policy.should_retry(attempt)
            ):
                response.close()
                attempt = self.sleep_before_retry(
                    policy, attempt, method, url, f"HTTP {response.status_code}"
                )
                continue
            error = self._error(response, path, params)
            if node_unreachable(error.status, error.message):  # a node, not the request
                raise ClusterUnreachable(
                    f"{method} {_without_query(url)}: {error.message}", 0, error.url
                ) from None
            raise error

    def _send_once(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | Iterable[bytes] | None,
        headers: dict[str, str],
        stream: bool,
    ) -> requests.Response:
        """One attempt, following redirects by hand.

        By hand because ``requests`` drops the ``Authorization`` header when a redirect changes
        the port (proxy :8080 → target :8081), and because a body must not go to the proxy:
        the first hop is sent without it, and the body goes once, to the final node.
        """
        body_pending = data is not None
        response = self._hop(method, url, params, json, None, headers, stream and not body_pending)
        for _ in range(_MAX_REDIRECTS):
            location = response.headers.get("Location")
            if response.status_code not in _REDIRECTS or not location:
                break
            response.close()
            url, params = urljoin(url, location), None  # Location already has the query
            log.debug("%s redirected to %s", method, _without_query(url))
            response = self._hop(method, url, None, json, data, headers, stream)
            body_pending = False
        if body_pending and response.status_code < 400:
            response.close()  # not redirected: this node takes the body itself
            response = self._hop(method, url, params, json, data, headers, stream)
        return response

    def _hop(
        self,
        method: str,
        url: str,
        params: Mapping[str, Any] | None,
        json: Any,
        data: bytes | Iterable[bytes] | None,
        headers: dict[str, str],
        stream: bool,
    ) -> requests.Response:
        """One HTTP exchange: a request prepared here, sent by the session.

        ``Session.request`` would prepare it from scratch (every setting merged with the
        session's, the URL parsed and re-quoted): with two hops per object, ~0.25 ms of
        ~1.55 ms of client CPU per 1 MiB object read into a buffer (requests 2.34). The URL
        needs none of it: it is ours (its path quoted by :class:`Object`) or the server's
        ``Location``. What a session is configured with still applies - its headers, cookies,
        hooks, auth, TLS settings and proxies; not its ``params`` (aisref passes its own).
        """
        session = self.session
        prepared = requests.PreparedRequest()
        prepared.prepare_method(method)
        prepared.url = _with_query(url, params)
        prepared.prepare_headers({**session.headers, **headers})
        prepared.prepare_cookies(session.cookies)
        prepared.prepare_body(data, None, json)
        if session.auth is not None:
            prepared.prepare_auth(session.auth)
        prepared.prepare_hooks(session.hooks)
        return session.send(
            prepared,
            stream=stream,
            timeout=self.timeout,
            # The session's verify, not ours: it resolved verify=True to $REQUESTS_CA_BUNDLE
            # (trust_env is off, so requests no longer does).
            verify=session.verify,
            cert=session.cert,
            proxies=session.proxies,
            allow_redirects=False,
        )

    def _headers(self, extra: Mapping[str, str] | None) -> dict[str, str]:
        headers = dict(extra or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return headers

    def sleep_before_retry(
        self, retry: RetryPolicy, attempt: int, method: str, url: str, why: str
    ) -> int:
        """Sleep the backoff before retry number ``attempt`` (0-based), log it, count it in
        :attr:`retries_made`; return the next attempt number."""
        delay = retry.delay(attempt)
        log.info("retrying %s %s in %.2f s after %s", method, _without_query(url), delay, why)
        time.sleep(delay)
        self.retry_count.add()  # the only place retries touch the shared (locked) count
        return attempt + 1

    def _unreachable(
        self, method: str, url: str, err: Exception, retries: int
    ) -> ClusterUnreachable:
        kind = "timed out" if isinstance(err, requests.Timeout) else "connection failed"
        # The hop that failed may be a target the proxy redirected to, not the endpoint:
        # name that node, since it is the one to look at.
        failed_url = _failed_url(err) or url
        node = _node_of(failed_url)
        where = (
            f"AIStore at {self.endpoint}"
            if node == self.endpoint
            else f"AIStore node {node} (redirected there by {self.endpoint})"
        )
        return ClusterUnreachable(
            self._scrub(
                f"cannot reach {where} ({method} {_without_query(failed_url)}: "
                f"{kind}, timeout {_describe_timeout(self.timeout)}, "
                f"{retries} retries made): {_reason(err)}; check that the "
                "cluster is running and the endpoint is right"
            ),
            0,
            _without_query(failed_url),
        )

    def _untrusted(self, url: str, err: Exception) -> CertificateNotTrusted:
        trust = (
            "the system's CA certificates"
            if self.verify is True
            else f"the CA bundle {self.verify!r}"
        )
        return CertificateNotTrusted(
            f"the TLS certificate of AIStore at {self.endpoint} could not be verified against "
            f"{trust} ({_tls_reason(err)}); pass the CA bundle that signed the cluster's "
            "certificate: Client(endpoint, verify='/path/to/ca.crt') (for a cluster from "
            "`aisbench cluster up --https`: .ais/tls/ca.crt)",
            0,
            _without_query(url),
        )

    def _error(
        self, response: requests.Response, path: str, params: Mapping[str, Any] | None
    ) -> AISError:
        etl_name = (params or {}).get("etl_name") or _query_value(response.url, "etl_name")
        try:
            body = response.text
        finally:
            response.close()
        err = error_from_reply(
            response.status_code,
            body,
            response.url,
            path=path,
            headers=response.headers,
            etl_name=str(etl_name) if etl_name else None,
        )
        err.message = self._scrub(err.message)
        err.args = (err.message,)
        return err

    def _scrub(self, text: str) -> str:
        """Remove the token from text that may echo a request (defence in depth)."""
        return text.replace(self.token, "***") if self.token else text


_IDEMPOTENT = frozenset({"GET", "HEAD", "PUT", "DELETE"})
_CERT_UNVERIFIED = "CERTIFICATE_VERIFY_FAILED"
# No (complete) reply: refused, reset, DNS, connect/read timeout, body cut mid-way.
_NO_REPLY = (requests.ConnectionError, requests.Timeout, requests.exceptions.ChunkedEncodingError)


def _ca_bundle_from_env() -> bool | str:
    """What requests would take from the environment for verify=True, read once."""
    return os.environ.get("REQUESTS_CA_BUNDLE") or os.environ.get("CURL_CA_BUNDLE") or True


def _error_text(response: requests.Response) -> str:
    """An error reply's body (a small JSON document from AIStore; HEAD carries it in a header),
    read once: requests keeps it for the typed error made after."""
    return response.text or response.headers.get("Hdr-Error", "")


def _with_query(url: str, params: Mapping[str, Any] | None) -> str:
    """``url`` with ``params`` appended as its query, encoded as ``requests`` encodes them:
    ``None`` values left out, a list repeats its key."""
    if not params:
        return url
    query = urlencode(
        [(key, value) for key, value in params.items() if value is not None], doseq=True
    )
    return f"{url}{'&' if '?' in url else '?'}{query}" if query else url


def _without_query(url: str) -> str:
    return url.split("?", 1)[0]


def _failed_url(err: Exception) -> str | None:
    """The URL of the request that got no reply (``requests`` attaches it to the error)."""
    request = getattr(err, "request", None)
    url = getattr(request, "url", None)
    return url if isinstance(url, str) else None


def _node_of(url: str) -> str:
    """``scheme://host:port`` of a URL: the node that served (or failed) it."""
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _query_value(url: str, key: str) -> str | None:
    values = parse_qs(urlsplit(url).query).get(key)
    return values[0] if values else None


def _reason(err: Exception) -> str:
    """The innermost cause, e.g. "[Errno 111] Connection refused", else the exception type."""
    match = _ERRNO.search(str(err))
    return match.group(0) if match else type(err).__name__


_ERRNO = re.compile(r"\[Errno -?\d+\] [^'\")\]]+")
_TLS_REASON = re.compile(r"certificate verify failed: [^'\"()]+")


def _tls_reason(err: Exception) -> str:
    """OpenSSL's words, e.g. "certificate verify failed: unable to get local issuer certificate"."""
    match = _TLS_REASON.search(str(err))
    return match.group(0).strip() if match else "certificate verify failed"


def _describe_timeout(timeout: Timeout) -> str:
    if isinstance(timeout, tuple):
        return f"connect {timeout[0]:g} s, read {timeout[1]:g} s"
    return f"{timeout:g} s"
