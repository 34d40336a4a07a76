"""A/B measurement of two versions of the code in one invocation: interleaved blocks of fresh
processes, paired statistics, three-way verdicts and cost metrics (see `aisbench ab --help`)."""

from aisbench.ab.errors import AbError
from aisbench.ab.gate import GateSettings
from aisbench.ab.run import AbRequest, run_ab

__all__ = [
    "AbError",
    "AbRequest",
    "GateSettings",
    "run_ab",
]
