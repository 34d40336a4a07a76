"""Self-checking bytes: a delivered sample names itself and proves its bytes are right."""

from __future__ import annotations

import io
import tarfile

from aisbench.datagen.self_checking import (
    checked_id,
    content_for,
    datapipe_id,
    id_from_content,
    make_shard,
)


def test_content_names_its_owner_and_has_the_requested_size() -> None:
    data = content_for("obj-0001", 100)
    assert data.startswith(b"obj-0001|")
    assert len(data) == 100


def test_right_bytes_give_the_name_and_wrong_bytes_a_corrupt_id() -> None:
    assert checked_id("obj-0001", content_for("obj-0001")) == "obj-0001"
    assert checked_id("obj-0001", content_for("obj-0002")) == "CORRUPT:obj-0001"
    assert checked_id("obj-0001", content_for("obj-0001")[:-1]) == "CORRUPT:obj-0001"


def test_member_bytes_alone_identify_the_member() -> None:
    assert id_from_content(content_for("s01-k02.txt")) == "s01-k02.txt"


def test_datapipe_sample_is_its_url_checked_by_the_object_name() -> None:
    assert datapipe_id("ais://b/obj-0003", content_for("obj-0003")) == "ais://b/obj-0003"


def test_shard_holds_every_member_of_every_sample_in_order() -> None:
    data, keys, members = make_shard(3, 2)
    assert keys == ["s03-k00", "s03-k01"]
    with tarfile.open(fileobj=io.BytesIO(data)) as tar:
        names = tar.getnames()
        extracted = tar.extractfile("s03-k01.cls")
        assert extracted is not None
        assert extracted.read() == content_for("s03-k01.cls")
    # In name order: the order an archive listing (and AISMultiShardStream) gives them.
    assert names == members == sorted(names) == [
        "s03-k00.cls", "s03-k00.txt", "s03-k01.cls", "s03-k01.txt"]


def test_the_kind_registry_holds_exactly_the_kinds_a_scenario_may_name() -> None:
    from aisbench.faults.id_loaders import DATASET_KINDS, KINDS, SHARD_KINDS, SOAK_KINDS

    assert set(KINDS) == set(DATASET_KINDS)
    assert set(SOAK_KINDS) <= set(KINDS)
    assert set(SHARD_KINDS) == {"AISShardReader", "AISMultiShardStream"}
    assert all(name == kind.name for name, kind in KINDS.items())
