"""Which version runs first in each block: randomized, and balanced in pairs of blocks.

Blocks come in pairs whose orders mirror each other (AB then BA, or BA then AB, by a seeded
coin), so a systematic edge of running first or second (a warm page cache, a cooling CPU)
falls on both versions equally in every pair, and no hidden rhythm can line up with a fixed
order.
"""

from __future__ import annotations

import random

from aisbench.ab.gate import Role

BASE_FIRST: tuple[Role, Role] = ("base", "current")
CURRENT_FIRST: tuple[Role, Role] = ("current", "base")


def block_order(seed: int, case_id: str, block: int) -> tuple[Role, Role]:
    """The order of the two versions in ``block`` (0-based) of ``case_id``: blocks 2k and 2k+1
    mirror each other; which of them starts with base is a coin seeded by (seed, case, k)."""
    coin = random.Random(f"{seed}:{case_id}:{block // 2}").random() < 0.5
    first = BASE_FIRST if coin else CURRENT_FIRST
    if block % 2 == 0:
        return first
    return CURRENT_FIRST if first == BASE_FIRST else BASE_FIRST
