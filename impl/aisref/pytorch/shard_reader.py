"""AISShardReader: webdataset-style samples streamed from tar shards in AIS buckets."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any, Generic, Literal, TypeVar, overload

import torch

from aisref.client import Bucket, Object
from aisref.pytorch.base import AISBaseIterDataset, PrefixMap, SourceList, etl_config
from aisref.pytorch.member_listing import count_samples, list_members
from aisref.pytorch.partition import rank_share
from aisref.pytorch.progress import with_progress
from aisref.pytorch.sample_fields import SampleFields
from aisref.pytorch.shard_spans import ShardSpan, count_each, reading_plan, take_span
from aisref.pytorch.tar_stream import iter_staged_samples
from aisref.pytorch.tensor_payloads import tensors_of
from aisref.pytorch.zero_dict import ZeroDict
from aisref.pytorch.zero_dict import ZeroDict as _ZeroDict  # for annotations in the class

# A sample's fields: ZeroDict of bytes by default, {field: tensor} with tensor_payloads=True.
ContentT = TypeVar(
    "ContentT", ZeroDict, dict[str, torch.Tensor], ZeroDict | dict[str, torch.Tensor]
)


def content_maker(tensor_payloads: bool) -> Callable[[ZeroDict], Mapping[str, Any]]:
    """What the reader yields for a completed sample: it as is, or its fields as tensors."""
    return tensors_of if tensor_payloads else _as_is


def _as_is(content: ZeroDict) -> ZeroDict:
    return content


def shard_label(shard: Object) -> str:
    """``"ais://bucket/shard.tar"``: how errors and progress bars name a shard."""
    return shard.uname


def listed_sample_count(shard: Object) -> int:
    """Samples in ``shard``, from its archive listing (one request; no shard data)."""
    return count_samples(shard.name, shard.bucket.list_archive(shard.name))


def shard_counts(shards: Sequence[Object], listed: Mapping[str, int]) -> list[int]:
    """Samples per shard: from the dataset's member listing where it counted the shard, else
    from the shard's own archive listing (a few requests at a time)."""
    missing = [shard for shard in shards if shard.uname not in listed]
    recounted = dict(zip((s.uname for s in missing), count_each(missing, listed_sample_count),
                         strict=True))
    return [listed.get(shard.uname, recounted.get(shard.uname, 0)) for shard in shards]


class AISShardReader(AISBaseIterDataset[tuple[str, ContentT]], Generic[ContentT]):
    """Iterate samples of webdataset tar shards: ``(sample key, ZeroDict{extension: bytes})``.

    Each shard is read with ONE streaming GET and parsed as it arrives, so memory is bounded
    by the largest sample, not the shard (the official reader loads whole shards into memory).
    Members are grouped into samples as webdataset does (key = path up to the first dot of
    the file name, extension = the rest; consecutive members only). A truncated or corrupt
    shard raises ``ShardFormatError`` naming it.

    Splitting: on one rank, DataLoader workers split whole shards. Over several
    torch.distributed ranks every rank reads the same number of *samples* (``len()``), each
    sample once per epoch apart from the padding that makes the counts equal; shards hold
    different numbers of samples, so the reader counts them first, at construction, from the
    same member listing that gives the fields (below; see :mod:`aisref.pytorch.member_listing`,
    :mod:`aisref.pytorch.shard_spans` and :mod:`aisref.pytorch.partition` for who reads what).
    Build the dataset after ``init_process_group`` (or under torchrun), or each DataLoader
    worker counts for itself.

    Every sample carries every field (extension) found in the dataset's shards, ``b""`` where
    it has none, so ``DataLoader(batch_size=N)`` with default collation never drops a field
    from a batch. The fields are listed at construction (member names only, one paged
    listing per bucket and prefix; see :mod:`aisref.pytorch.sample_fields` for the cost and
    what it cannot know).

    Args:
        bucket_list: one Bucket (or any AISSource) or a list of them.
        prefix_map: optional ``{bucket: prefix or [prefixes]}`` selecting shards; buckets
            without an entry contribute all their objects.
        etl_name: optional ETL, already running on the cluster, applied server-side to each
            shard. A cluster without ETL raises ``ETLNotAvailable`` naming it on first read.
            Counts come from the stored shards: an ETL that changes how many samples a shard
            holds needs ``split_by_rank=False``.
        show_progress: draw a tqdm bar per reader (over its shards), labelled with its worker.
        partition_sources_by_worker: each DataLoader worker lists and reads whole buckets of
            its own (see :class:`~aisref.pytorch.AISBaseIterDataset`); one rank only.
        split_by_rank: split over torch.distributed ranks (default). False: every rank reads
            every shard (split over its DataLoader workers), and nothing is counted.
        drop_last: make rank counts equal by dropping the last (fewer than world size)
            samples instead of reading the first ones again.
        tensor_payloads: each field as a 1-D ``torch.uint8`` tensor (a missing field an
            empty one) in a plain dict, instead of a ``ZeroDict`` of ``bytes``, so DataLoader
            workers hand samples over through shared memory rather than pickling them
            through a pipe; each member is copied once from the tar parser into its tensor.
            Off by default: see :mod:`aisref.pytorch.tensor_payloads`.
    """

    ZeroDict = ZeroDict  # where the official reader keeps it

    # Typed by tensor_payloads: ZeroDict of bytes by default, dict of tensors with True.
    @overload
    def __init__(
        self: AISShardReader[_ZeroDict],
        bucket_list: Bucket | SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: Literal[False] = False,
    ) -> None: ...

    @overload
    def __init__(
        self: AISShardReader[dict[str, torch.Tensor]],
        bucket_list: Bucket | SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: Literal[True],
    ) -> None: ...

    @overload
    def __init__(
        self: AISShardReader[_ZeroDict | dict[str, torch.Tensor]],
        bucket_list: Bucket | SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: bool,
    ) -> None: ...

    def __init__(
        self,
        bucket_list: Bucket | SourceList,
        prefix_map: PrefixMap | None = None,
        etl_name: str | None = None,
        show_progress: bool = False,
        partition_sources_by_worker: bool = False,
        *,
        split_by_rank: bool = True,
        drop_last: bool = False,
        tensor_payloads: bool = False,
    ) -> None:
        super().__init__(
            bucket_list,
            prefix_map,
            partition_sources_by_worker,
            split_by_rank=split_by_rank,
            drop_last=drop_last,
        )
        self._etl = etl_config(etl_name)
        self._show_progress = show_progress
        self._make_content: Any = content_maker(tensor_payloads)
        self._members = list_members(self._sources.sources, self._sources.prefix_map)
        self._sample_counts: list[int] | None = None
        self._count_if_distributed()

    def _count_if_distributed(self) -> None:
        # Here, in the process building the dataset, so that workers inherit the counts
        # rather than each counting again.
        if self._rank_split.ranks()[1] > 1:
            self._counts()

    def _counts(self) -> list[int]:
        """Samples per shard, from the member listing made at construction (shards it did not
        count: one archive-listing request each), once."""
        if self._sample_counts is None:
            self._sample_counts = shard_counts(self._obj_list, self._members.counts)
        return self._sample_counts

    def refresh(self) -> None:
        """List the shards and their members' fields again, e.g. to see new shards (and, over
        several ranks, count the shards again)."""
        super().refresh()
        self._members = list_members(self._sources.sources, self._sources.prefix_map)
        self._sample_counts = None
        self._count_if_distributed()

    def _samples_of(self, shard: Object, span: ShardSpan) -> Iterator[tuple[str, dict[str, bytes]]]:
        label = shard_label(shard)
        with shard.get_reader(etl=self._etl).raw() as body:
            samples = iter_staged_samples(body, label)
            yield from take_span(samples, span, label, "sample")

    def __iter__(self) -> Iterator[tuple[str, ContentT]]:
        slot = self._rank_split.reader_slot()
        shards, split_slot = self._listing_for_reader(slot)
        plan = reading_plan(len(shards), split_slot, self._rank_split.drop_last, self._counts)
        fields = SampleFields(self._members.fields)
        for span in with_progress(
            plan, type(self).__name__, slot, self._show_progress, total=len(plan)
        ):
            shard = shards[span.shard]
            for key, content in self._samples_of(shard, span):
                complete = fields.complete(content, shard_label(shard), key)
                yield key, self._make_content(complete)

    def __len__(self) -> int:
        """Number of samples this rank reads per epoch, over all its DataLoader workers.

        The first call (on a single rank) costs one archive-listing request per shard
        (member names only, no shard data is read); the counts are then kept until
        :meth:`refresh`. Exact when each sample's members are contiguous in its tar.
        """
        _, world_size = self._rank_split.ranks()
        return rank_share(sum(self._counts()), world_size, self._rank_split.drop_last)
