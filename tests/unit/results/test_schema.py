import json
import math
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import pytest

from aisbench.results.schema import (
    METRICS,
    CaseResult,
    Measurement,
    ResultFormatError,
    make_run_id,
    percentile,
    run_from_dict,
    run_to_dict,
)
from aisbench.results.store import read_run_json, write_run_json
from tests.unit.results.samples import (
    RUN_ID,
    measurement,
    sample_fault_record,
    sample_record,
    sample_record_v3,
    without_stages,
)

GOLDEN_DIR = Path(__file__).parent / "golden"
GOLDEN = GOLDEN_DIR / "run_v3.json"  # sample_record_v3: stage times, and a case over 2 ranks
GOLDEN_V2 = GOLDEN_DIR / "run_v2.json"  # written by the format before ranks and stages
GOLDEN_V1 = GOLDEN_DIR / "run_v1.json"  # written by the format before fault runs were runs
GOLDEN_FAULTS = GOLDEN_DIR / "faults_run_v3.json"
GOLDEN_FAULTS_V2 = GOLDEN_DIR / "faults_run_v2.json"


def test_throughput_is_per_second_of_the_window():
    m = Measurement(duration_s=2.0, samples=1000, bytes=4 * 2**20, batches=10)
    assert (m.samples_per_s, m.mib_per_s) == (500.0, 2.0)


def test_mib_means_two_to_the_twentieth_bytes():
    m = Measurement(duration_s=1.0, samples=1, bytes=1_000_000, batches=1)
    assert m.mib_per_s == pytest.approx(0.953674, rel=1e-6)


def test_latency_percentiles_interpolate_like_numpy():
    latencies = tuple(float(x) for x in np.random.default_rng(0).exponential(0.01, 101))
    m = Measurement(duration_s=1.0, samples=1, bytes=1, batches=101, batch_latencies_s=latencies)
    expected = np.percentile(latencies, [50, 90, 99])
    assert [m.latency_p50_s, m.latency_p90_s, m.latency_p99_s] == pytest.approx(expected)
    assert m.latency_max_s == max(latencies)


def test_latencies_are_undefined_without_batches():
    m = Measurement(duration_s=1.0, samples=0, bytes=0, batches=0)
    assert (m.latency_p50_s, m.latency_max_s, m.metric("latency_p99_s")) == (None, None, None)


def test_cpu_util_counts_busy_cores():
    m = Measurement(duration_s=2.0, samples=1, bytes=1, batches=1, cpu_seconds=3.0)
    assert m.cpu_util == 1.5


def test_accelerator_utilization_is_busy_share_of_the_window():
    m = Measurement(duration_s=4.0, samples=1, bytes=1, batches=1, accel_busy_s=3.0)
    assert m.accel_utilization == 0.75


def test_every_listed_metric_is_readable_from_a_measurement():
    for name in METRICS:
        assert measurement().metric(name) is not None


def test_an_unknown_metric_is_a_key_error_naming_the_known_ones():
    with pytest.raises(KeyError, match="samples_per_s"):
        measurement().metric("speed")


@pytest.mark.parametrize(
    "bad",
    [
        {"duration_s": 0.0},
        {"duration_s": math.nan},
        {"samples": -1},
        {"cpu_seconds": -0.1},
        {"batches": 1.5},
        {"batch_latencies_s": (0.1, math.inf)},
        {"time_to_first_batch_s": -1.0},
    ],
)
def test_measurement_refuses_impossible_values(bad):
    fields = {"duration_s": 1.0, "samples": 1, "bytes": 1, "batches": 1} | bad
    with pytest.raises(ResultFormatError):
        Measurement(**fields)


def test_case_values_and_mean_leave_out_the_warmup():
    case = sample_record().cases[0]
    assert case.values("samples_per_s") == (1000.0, 1050.0)
    assert case.mean("samples_per_s") == 1025.0


def test_an_ok_case_needs_a_repeat():
    with pytest.raises(ResultFormatError, match="at least one repeat"):
        CaseResult(run_id=RUN_ID, case_id="c", scenario="s", strategy="x", status="ok")


def test_a_failed_case_needs_a_reason():
    with pytest.raises(ResultFormatError, match="needs a reason"):
        CaseResult(run_id=RUN_ID, case_id="c", scenario="s", strategy="x", status="failed")


def test_an_unknown_status_is_refused():
    with pytest.raises(ResultFormatError, match="status"):
        CaseResult(
            run_id=RUN_ID,
            case_id="c",
            scenario="s",
            strategy="x",
            status="maybe",  # type: ignore[arg-type]
            reason="?",
        )


def test_run_record_matches_the_golden_json():
    assert run_to_dict(sample_record_v3()) == json.loads(GOLDEN.read_text())


def test_golden_json_reads_back_to_the_same_record():
    assert read_run_json(GOLDEN) == sample_record_v3()


def test_written_json_is_byte_identical_to_the_golden_file(tmp_path):
    write_run_json(sample_record_v3(), tmp_path / "run.json")
    assert (tmp_path / "run.json").read_text() == GOLDEN.read_text()


def test_a_version_2_document_reads_unchanged_with_no_case_distributed():
    record = read_run_json(GOLDEN_V2)
    assert record == without_stages(sample_record())
    assert all(case.distributed is None for case in record.cases)
    assert read_run_json(GOLDEN_FAULTS_V2) == sample_fault_record()


def test_a_distributed_case_keeps_each_rank_and_the_check():
    case = sample_record_v3().cases[-1]
    assert case.distributed is not None
    assert [r.rank for r in case.distributed.ranks] == [0, 1]
    assert case.distributed.exactly_once.holds
    assert case.repeats[0].samples == 1900  # 1000 + 900 over the common window
    assert case.repeats[0].duration_s == 2.5


def test_a_version_1_document_reads_as_the_same_run_with_its_new_fields_empty():
    record = read_run_json(GOLDEN_V1)
    assert record == without_stages(sample_record())
    assert (record.description, dict(record.settings), record.finished_at, record.stopped) == (
        "", {}, None, None)
    assert all(case.verdict is None for case in record.cases)


def test_a_version_2_document_reads_unchanged_with_no_stages():
    record = read_run_json(GOLDEN_V2)
    assert record == without_stages(sample_record())
    assert sample_record().cases[0].repeats[0].stages is not None  # the v3 golden has some
    assert read_run_json(GOLDEN_FAULTS_V2) == sample_fault_record()


def test_stages_read_back_as_written_and_sum_as_documented():
    stages = read_run_json(GOLDEN).cases[0].repeats[0].stages
    assert stages is not None and stages.workers == 2
    assert sum(stages.main_s.values()) == 2.0  # the repeat's duration_s
    assert sum(stages.workers_s.values()) == 4.0  # workers x duration_s
    assert dict(stages.helper_threads_s) == {"pickle": 0.25}


def test_negative_stage_seconds_are_a_format_error():
    data = run_to_dict(sample_record())
    data["cases"][0]["repeats"][0]["stages"]["main_s"]["compute"] = -1.0
    with pytest.raises(ResultFormatError, match=r"stages.main_s"):
        run_from_dict(data)


def test_an_unknown_stages_key_is_a_format_error():
    data = run_to_dict(sample_record())
    data["cases"][0]["repeats"][0]["stages"]["per_gpu"] = {}
    with pytest.raises(ResultFormatError, match=r"measurement stages: unknown keys .*per_gpu"):
        run_from_dict(data)


def test_a_version_1_document_with_a_version_2_key_is_refused():
    data = json.loads(GOLDEN_V1.read_text()) | {"stopped": "interrupted"}
    with pytest.raises(ResultFormatError, match=r"unknown keys .*stopped"):
        run_from_dict(data)


def test_a_fault_run_matches_its_golden_json_and_reads_back_equal(tmp_path):
    write_run_json(sample_fault_record(), tmp_path / "run.json")
    assert (tmp_path / "run.json").read_text() == GOLDEN_FAULTS.read_text()
    assert read_run_json(GOLDEN_FAULTS) == sample_fault_record()


def test_a_fault_case_takes_its_status_and_reason_from_the_verdict():
    kept, skipped, broken = sample_fault_record().cases
    assert (kept.status, kept.reason) == ("ok", "")
    assert (skipped.status, skipped.reason) == ("skipped", "the kernel has no netem qdisc")
    assert broken.status == "failed" and broken.reason.startswith("VIOLATION: silent gap")
    assert [c.case_id for c in (kept, skipped, broken)] == [
        "002-target-kill-aisref-map-w2", "003-netem-listing-w0", "004-slow-link-aisref-iter-w0"]
    assert sample_fault_record().is_fault_run and not sample_record().is_fault_run
    assert [v.step for v in sample_fault_record().verdicts] == [2, 3, 4]


def test_a_verdict_with_a_missing_field_is_a_format_error():
    data = run_to_dict(sample_fault_record())
    del data["cases"][0]["verdict"]["outcome"]
    with pytest.raises(ResultFormatError, match=r"case verdict: .*outcome"):
        run_from_dict(data)


def test_an_ok_case_may_have_a_verdict_instead_of_repeats():
    kept = sample_fault_record().cases[0]
    assert kept.status == "ok" and kept.repeats == ()


def test_whole_seconds_read_back_as_floats():
    data = run_to_dict(sample_record())
    data["cases"][0]["repeats"][0]["duration_s"] = 2
    duration = run_from_dict(data).cases[0].repeats[0].duration_s
    assert isinstance(duration, float)


def test_another_format_version_is_refused():
    data = run_to_dict(sample_record()) | {"version": 99}
    with pytest.raises(ResultFormatError, match="version"):
        run_from_dict(data)


def test_unknown_keys_in_a_measurement_are_refused():
    data = run_to_dict(sample_record())
    data["cases"][0]["repeats"][0]["speed"] = 1
    with pytest.raises(ResultFormatError, match="speed"):
        run_from_dict(data)


def test_a_file_that_is_not_json_names_itself(tmp_path):
    path = tmp_path / "broken.json"
    path.write_text("{not json")
    with pytest.raises(ResultFormatError, match=r"broken\.json"):
        read_run_json(path)


def test_run_ids_sort_by_start_time():
    early = make_run_id(datetime(2026, 11, 23, 20, 45, 12, tzinfo=UTC), suffix="ffffff")
    late = make_run_id(datetime(2026, 11, 23, 20, 45, 13, tzinfo=UTC), suffix="000000")
    assert early == "20261123T204512-ffffff"
    assert sorted([late, early]) == [early, late]


def test_run_ids_carry_a_random_suffix():
    moment = datetime(2026, 1, 1, tzinfo=UTC)
    assert make_run_id(moment) != make_run_id(moment)


def test_percentile_of_one_value_is_that_value():
    assert percentile([3.0], 99) == 3.0
