"""Why netem is unavailable, in the kernel's own words."""

import gzip
from pathlib import Path

from aisbench.faults.netem import kernel_config_note


def _config(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "config.gz"
    with gzip.open(path, "wt") as out:
        out.write(text)
    return path


def test_a_kernel_built_without_netem_is_named(tmp_path: Path) -> None:
    config = _config(tmp_path, "CONFIG_NET_SCHED=y\n# CONFIG_NET_SCH_NETEM is not set\n")
    assert kernel_config_note(config) == " (this kernel is built without CONFIG_NET_SCH_NETEM)"


def test_a_kernel_with_netem_or_without_a_config_adds_nothing(tmp_path: Path) -> None:
    assert kernel_config_note(_config(tmp_path, "CONFIG_NET_SCH_NETEM=m\n")) == ""
    assert kernel_config_note(tmp_path / "missing.gz") == ""
