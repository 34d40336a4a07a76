"""Write a file so that a kill (SIGKILL, power loss of the process) never leaves half of it:
the text goes to ``<name>.partial`` first and is renamed over the target in one step."""

from __future__ import annotations

from pathlib import Path


def write_text_atomically(path: Path, text: str) -> None:
    partial = path.with_name(path.name + ".partial")
    partial.write_text(text)
    partial.replace(path)  # rename(2): readers see the old file or the new one, never a part
