"""The one base for errors the user can fix.

The CLI prints an `AisbenchError` as one line (``aisbench: error: ...``, exit 2); anything else
is a bug and shows its traceback. The message names the thing that is wrong and the fix.
"""

from __future__ import annotations


class AisbenchError(Exception):
    """Bad input or a state the user can change: a scenario, a ref, a cluster, a run id."""


class InvalidValue(AisbenchError, ValueError):
    """A value the user gave is out of range or malformed (still a ValueError for callers and
    validators that catch those)."""


class UnknownName(AisbenchError, KeyError):
    """A name the user gave (a metric, a strategy, a case, a parameter) does not exist (still a
    KeyError for callers that look things up)."""

    def __str__(self) -> str:  # KeyError's str() is the repr of its message
        return str(self.args[0]) if self.args else ""
