"""A case over ranks in the report: the summary line and a row per rank."""

from pathlib import Path

from aisbench.report import write_report
from aisbench.report.ranks import RANK_HEADINGS, ranks_tables
from tests.unit.results.samples import sample_distributed_case, sample_record, sample_record_v3


def test_summary_gives_total_slowest_rank_spread_and_the_check():
    (table,) = ranks_tables([sample_distributed_case()])
    assert table.case_id == "ranks=2"
    assert table.summary == (
        "2 ranks on 1 node: 892 samples/s, 13.9 MiB/s in all (sum over ranks over the common "
        "window); slowest rank 1; spread (max/min samples/s) 1.19; exactly once (1 epoch, "
        "0 duplicates, 0 missing, 1 padding)")


def test_a_row_per_rank_with_its_own_means():
    (table,) = ranks_tables([sample_distributed_case()])
    assert RANK_HEADINGS[:4] == ("rank", "node", "samples/s", "MiB/s")
    assert [row[:4] for row in table.rows] == [("0", "0", "512", "8.01"),
                                               ("1", "0", "430", "6.72")]


def test_single_process_cases_have_no_ranks_table():
    assert ranks_tables(sample_record().cases) == []


def test_the_report_pages_show_the_ranks_table(tmp_path: Path):
    files = write_report([sample_record_v3()], tmp_path / "report")
    markdown = files.markdown.read_text()
    assert "**Ranks of `ranks=2`**: 2 ranks on 1 node" in markdown
    assert "| 1 | 0 | 430 | 6.72 |" in markdown
    assert "<h3>Ranks of <code>ranks=2</code></h3>" in files.html.read_text()
