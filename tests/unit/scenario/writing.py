"""Write a scenario file for a test, from YAML text."""

from pathlib import Path
from textwrap import dedent

MINIMAL = """\
dataset: {kind: objects, count: 100, object_size: 16KiB}
strategy: aisref-map
run: {duration_s: 4}
"""


def write_scenario(directory: Path, text: str, name: str = "mine") -> Path:
    path = directory / f"{name}.yaml"
    path.write_text(dedent(text))
    return path
