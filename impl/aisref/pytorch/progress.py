"""Console progress for ``show_progress=True``: one tqdm bar per reader, labelled with it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

from tqdm import tqdm

from aisref.pytorch.partition import ReaderSlot

T = TypeVar("T")


def progress_label(title: str, slot: ReaderSlot) -> str:
    """E.g. ``"AISIterDataset (worker 1)"``; the rank is added only when there are several."""
    parts = []
    if slot.world_size > 1:
        parts.append(f"rank {slot.rank}")
    if slot.num_workers > 1:
        parts.append(f"worker {slot.worker_id}")
    return f"{title} ({', '.join(parts)})" if parts else title


def with_progress(
    items: Iterable[T], title: str, slot: ReaderSlot, enabled: bool, total: int | None = None
) -> Iterator[T]:
    """Yield ``items`` unchanged, drawing a bar when ``enabled``.

    Each DataLoader worker gets its own line (``position`` = worker id) so bars from
    concurrent workers do not overwrite one another.
    """
    if not enabled:
        yield from items
        return
    bar = tqdm(
        items,
        desc=progress_label(title, slot),
        total=total,
        position=slot.worker_id,
        leave=slot.num_workers == 1,
        unit="it",
    )
    try:
        yield from bar
    finally:
        bar.close()
