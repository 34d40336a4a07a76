"""A/B measurement of two versions of the code in one invocation: interleaved blocks of fresh
processes, paired statistics, three-way verdicts and cost metrics (see `aisbench ab --help`)."""

from aisbench.ab.errors import AbError

__all__ = ["AbError"]
