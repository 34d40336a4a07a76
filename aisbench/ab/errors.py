"""What the user can fix about an A/B: a ref, a scenario, a strategy, a dependency."""

from __future__ import annotations

from aisbench.errors import AisbenchError


class AbError(AisbenchError):
    """An A/B cannot run as asked; the message names the thing and the fix."""


class MeasuringStopped(Exception):
    """Measuring cannot go on (the cluster stopped answering); what was measured is judged."""
