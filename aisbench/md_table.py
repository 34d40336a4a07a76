"""Markdown table cells, shared by every layer that writes a Markdown table."""

from __future__ import annotations


def md_cell(text: str) -> str:
    """One Markdown table cell on one line: pipes escaped, and no raw HTML tag for a summary
    page (a CI job summary renders HTML) to run."""
    return " ".join(text.replace("|", "\\|").replace("<", "&lt;").split())
