"""Reports people would rather look at than read: plots (PNG, SVG, and the data behind each),
a self-contained HTML page, a Markdown summary, and the numbers as CSV and JSON.

The one entry point is `write_report`; the rest of the package is its parts.
"""

from aisbench.report.compare_plots import HistorySeries
from aisbench.report.write import ReportError, ReportFiles, write_report

__all__ = ["HistorySeries", "ReportError", "ReportFiles", "write_report"]
