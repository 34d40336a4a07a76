"""The page kit every HTML report is built from: one shell (title, style, body), tables, and
plot sections embedded as figures. Pages stay self-contained: no script, no external resource.
"""

from __future__ import annotations

import base64
from collections.abc import Container, Sequence
from html import escape
from pathlib import Path

from aisbench.report.content import PlotSection
from aisbench.report.plots import DrawnPlot

PAGE_CSS = """
body { font-family: system-ui, -apple-system, "Segoe UI", "DejaVu Sans", sans-serif;
       margin: 0 auto; max-width: 1480px; padding: 0 24px 48px; color: #1f2328;
       line-height: 1.45; }
h1 { margin: 24px 0 4px; } h2 { margin-top: 40px; border-bottom: 1px solid #d0d7de; }
.meta { color: #57606a; margin: 0 0 16px; }
.callout { border-left: 5px solid #2E7D32; background: #f0f7f0; padding: 10px 16px;
           margin: 16px 0; }
.warn { border-left-color: #C62828; background: #fdf0f0; }
figure { margin: 16px 0 28px; } figure img { max-width: 100%; height: auto;
         border: 1px solid #eaeef2; }
figcaption { color: #57606a; font-size: 0.92em; }
table { border-collapse: collapse; margin: 8px 0 20px; font-size: 0.9em; }
th, td { border: 1px solid #d0d7de; padding: 4px 8px; text-align: left; vertical-align: top; }
th { background: #f6f8fa; } td.num { text-align: right; white-space: nowrap; }
.scroll { overflow-x: auto; } .nowrap { white-space: nowrap; }
.ci { color: #6e7781; font-size: 0.85em; }
.status-ok { color: #2E7D32; } .status-skipped { color: #9a6700; }
.status-failed { color: #C62828; font-weight: bold; }
.chip { display: inline-block; padding: 1px 8px; border-radius: 10px; color: #fff;
        background: #6e7781; margin-right: 4px; font-size: 0.9em; }
nav a { margin-right: 14px; } code { font-size: 0.92em; }
"""


def html_page(title: str, parts: Sequence[str], css: str = PAGE_CSS) -> str:
    """A whole page: ``parts`` (HTML fragments, empty ones left out) under ``title``."""
    return (
        '<!DOCTYPE html>\n<html lang="en"><head><meta charset="utf-8">'
        '<meta name="viewport" content="width=device-width, initial-scale=1">'
        f"<title>{escape(title)}</title><style>{css}</style></head>\n<body>\n"
        + "\n".join(part for part in parts if part)
        + "\n</body></html>\n"
    )


def html_table(headings: Sequence[str], rows: Sequence[str]) -> str:
    """A table that scrolls sideways when wide; ``rows`` are `table_row` fragments."""
    head = "".join(f"<th>{escape(h)}</th>" for h in headings)
    return f'<div class="scroll"><table><tr>{head}</tr>{"".join(rows)}</table></div>'


def table_row(cells: Sequence[str], headings: Sequence[str], numeric: Container[str] = (),
              css: str = "") -> str:
    """One row of text cells; cells under a heading in ``numeric`` align right."""
    tds = "".join(
        f'<td class="num">{escape(cell)}</td>' if heading in numeric
        else f"<td>{escape(cell)}</td>"
        for cell, heading in zip(cells, headings, strict=True)
    )
    return f'<tr class="{css}">{tds}</tr>' if css else f"<tr>{tds}</tr>"


def plots_html(section: PlotSection, page_dir: Path) -> str:
    """Each drawn plot as an embedded figure, then the plots not drawn with their reasons."""
    parts = [_figure(plot, page_dir) for plot in section.drawn]
    if section.skipped:
        items = "".join(
            f"<li><strong>{escape(s.title)}</strong>: {escape(s.reason)}</li>"
            for s in section.skipped
        )
        parts.append(f'<div class="not-drawn"><h3>Plots not drawn</h3><ul>{items}</ul></div>')
    return "\n".join(parts)


def _figure(plot: DrawnPlot, page_dir: Path) -> str:
    data = base64.b64encode(plot.png.read_bytes()).decode("ascii")
    links = " · ".join(
        f'<a href="{escape(_relative(path, page_dir))}">{label}</a>'
        for label, path in (("PNG", plot.png), ("SVG", plot.svg), ("data (JSON)", plot.data))
    )
    return (
        f'<figure id="plot-{escape(plot.plot.name)}">'
        f'<img src="data:image/png;base64,{data}" alt="{escape(plot.plot.title)}">'
        f"<figcaption>{escape(plot.plot.caption)} {links}</figcaption></figure>"
    )


def _relative(path: Path, page_dir: Path) -> str:
    try:
        return path.relative_to(page_dir).as_posix()
    except ValueError:
        return path.as_uri() if path.is_absolute() else path.as_posix()
