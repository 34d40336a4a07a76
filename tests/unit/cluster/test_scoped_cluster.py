"""A scoped cluster with an external endpoint: that endpoint, and nothing started or written."""

from __future__ import annotations

from pathlib import Path

from aisbench.cluster import scoped_cluster


def test_an_external_endpoint_is_used_as_it_is_and_nothing_is_started(tmp_path: Path) -> None:
    with scoped_cluster(tmp_path / "no-binaries-here", "http://127.0.0.1:51080/") as endpoint:
        assert endpoint == "http://127.0.0.1:51080"
    assert list(tmp_path.iterdir()) == []
