"""WorkerRequestClient: one session per process, DataLoader worker and thread."""

import multiprocessing
import pickle
import threading
from types import SimpleNamespace

import pytest
import requests

from aisref.client import RequestClient
from aisref.pytorch import WorkerRequestClient
from aisref.pytorch import worker_client as worker_client_module

ENDPOINT = "http://127.0.0.1:1"  # never contacted: sessions are made without a request


@pytest.fixture
def client() -> WorkerRequestClient:
    return WorkerRequestClient(RequestClient(ENDPOINT, timeout=3.0, retries=1, token="t"))


def _session_id_in_child(client: WorkerRequestClient, queue) -> None:
    queue.put(id(client.session))


def test_settings_are_copied_from_the_wrapped_client(client):
    assert (client.endpoint, client.timeout, client.retries, client.token) == (
        ENDPOINT,
        3.0,
        1,
        "t",
    )


def test_same_thread_reuses_its_session(client):
    assert client.session is client.session


def test_each_thread_gets_its_own_session(client):
    sessions = []
    thread = threading.Thread(target=lambda: sessions.append(client.session))
    thread.start()
    thread.join()
    assert sessions[0] is not client.session


def test_forked_child_gets_a_new_session():
    ctx = multiprocessing.get_context("fork")
    client = WorkerRequestClient(RequestClient(ENDPOINT))
    parent_session = client.session
    queue = ctx.Queue()
    child = ctx.Process(target=_session_id_in_child, args=(client, queue))
    child.start()
    child_session_id = queue.get(timeout=30)
    child.join(timeout=30)
    # The child's session object was created in the child: it cannot be the inherited one,
    # whose id (address) the child would otherwise report.
    assert child_session_id != id(parent_session)


def test_each_dataloader_worker_gets_its_own_session(client, monkeypatch):
    worker = SimpleNamespace(id=0)
    monkeypatch.setattr(worker_client_module, "get_worker_info", lambda: worker)
    first = client.session
    worker.id = 1
    assert client.session is not first


def test_pickles_without_its_session_and_makes_a_new_one(client):
    session = client.session
    pickled = pickle.dumps(client)
    # A session (and its pool of sockets) must not travel to a spawned worker at all.
    assert b"requests.sessions" not in pickled
    restored = pickle.loads(pickled)
    assert restored.endpoint == ENDPOINT
    assert isinstance(restored.session, requests.Session)
    assert restored.session is not session


def test_shares_the_retry_count_of_the_client_it_wraps():
    wrapped = RequestClient(ENDPOINT)
    wrapped.retry_count.add(2)
    worker = WorkerRequestClient(wrapped)
    worker.retry_count.add()
    assert (worker.retries_made, wrapped.retries_made) == (3, 3)


def test_pickled_worker_client_keeps_its_count(client):
    client.retry_count.add(4)
    assert pickle.loads(pickle.dumps(client)).retries_made == 4
