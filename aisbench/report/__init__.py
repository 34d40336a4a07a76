"""Reports people would rather look at than read: plots (PNG, SVG, and the data behind each),
a self-contained HTML page, a Markdown summary, and the numbers as CSV and JSON.

`write_report` writes a run's report, opening with the run's two answers (`answers_text` gives
them for a console). Other page kinds (the faults report) are built from the
same kit: the page shell and tables (`html_page`, `html_table`, `table_row`, `PAGE_CSS`), plot
models (`PlotData`, `Panel`, `Series`, `PlotSkipped`) drawn into a directory (`draw_all`,
`clear_old_plots`, `PLOTS_DIR`) and embedded as sections (`PlotSection`, `plots_html`).
"""

from aisbench.report.answers import answers_text
from aisbench.report.compare_plots import HistorySeries
from aisbench.report.content import PlotSection
from aisbench.report.formatting import format_bytes, format_number
from aisbench.report.page import PAGE_CSS, html_page, html_table, plots_html, table_row
from aisbench.report.plot_model import Panel, PlotData, PlotOutcome, PlotSkipped, Series
from aisbench.report.plots import DrawnPlot
from aisbench.report.write import (
    PLOTS_DIR,
    ReportError,
    ReportFiles,
    clear_old_plots,
    draw_all,
    write_report,
)

__all__ = [
    "PAGE_CSS",
    "PLOTS_DIR",
    "DrawnPlot",
    "HistorySeries",
    "Panel",
    "PlotData",
    "PlotOutcome",
    "PlotSection",
    "PlotSkipped",
    "ReportError",
    "ReportFiles",
    "Series",
    "answers_text",
    "clear_old_plots",
    "draw_all",
    "format_bytes",
    "format_number",
    "html_page",
    "html_table",
    "plots_html",
    "table_row",
    "write_report",
]
