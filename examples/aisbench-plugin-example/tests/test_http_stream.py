"""The example strategy measured on a real cluster through aisbench's pytest plugin: the
`aisbench_case` fixture runs the case the way `aisbench run` does and returns its result."""

from __future__ import annotations

OBJECTS = 24
OBJECT_BYTES = 2048
SCENARIO = {
    "name": "example-http-stream",
    "dataset": {"kind": "objects", "count": OBJECTS, "object_size": "2KiB", "seed": 0},
    "loader": {"num_workers": 2, "batch_size": 8},
    "run": {"epochs": 1, "warmup_s": 0, "repeats": 1},
}


def test_an_epoch_with_two_workers_reads_every_object_once(aisbench_case):
    result = aisbench_case(SCENARIO, strategy="example-http-stream")
    (epoch,) = result.repeats
    assert (epoch.samples, epoch.bytes) == (OBJECTS, OBJECTS * OBJECT_BYTES)
    assert result.mean("samples_per_s") > 0
