"""Synthetic A/B measurements for the gate and the measuring loop."""

from __future__ import annotations

import math
import random

from aisbench.ab.gate import ProcessMeasurement, Role


def measurement(case_id: str, role: Role, block: int, slot: int, throughput: float,
                cpu: float = 0.001, ok: bool = True, reason: str = "",
                wall_s: float = 5.0) -> ProcessMeasurement:
    values = ({"samples_per_s": throughput, "cpu_s_per_sample": cpu,
               "requests_per_sample": 1.0, "bytes_per_sample": 16384.0} if ok else {})
    return ProcessMeasurement(case_id, role, block, slot, ok, values, reason, wall_s)


class FakeVersions:
    """A measure function: each version's throughput and CPU/sample times a per-block drift and
    a little noise; ``fail`` names a version whose measurements fail."""

    def __init__(self, current_effect: float = 0.0, noise: float = 0.01, drift: float = 0.3,
                 fail: Role | None = None, interrupt_at: int | None = None,
                 seed: int = 0) -> None:
        self.effect = current_effect
        self.noise = noise
        self.drift = drift
        self.fail = fail
        self.interrupt_at = interrupt_at
        self.rng = random.Random(seed)
        self.calls: list[tuple[str, Role, int, int]] = []

    def __call__(self, case_id: str, role: Role, block: int, slot: int) -> ProcessMeasurement:
        if self.interrupt_at is not None and len(self.calls) == self.interrupt_at:
            raise KeyboardInterrupt
        self.calls.append((case_id, role, block, slot))
        if role == self.fail:
            return measurement(case_id, role, block, slot, 0.0, ok=False,
                               reason="ObjectNotFound: boom")
        level = 1 + self.drift * math.sin(block)  # drift shared by both sides of a block
        factor = (1 + self.effect) if role == "current" else 1.0
        noise = math.exp(self.rng.gauss(0, self.noise))
        return measurement(case_id, role, block, slot, 1000 * level * factor * noise,
                           cpu=0.001 / factor * noise)
