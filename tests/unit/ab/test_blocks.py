"""The measuring loop: interleaved mirrored blocks, re-runs within a budget, Ctrl-C kept."""

from aisbench.ab.blocks import measure_blocks, replay
from aisbench.ab.gate import GateSettings, ProcessMeasurement, judge_case
from aisbench.ab.schedule import block_order
from tests.unit.ab.fakes import FakeVersions


class Clock:
    def __init__(self, fake: FakeVersions, per_measurement_s: float) -> None:
        self.fake, self.step = fake, per_measurement_s

    def __call__(self) -> float:
        return len(self.fake.calls) * self.step


def test_blocks_mirror_in_pairs_and_the_coin_is_seeded():
    for seed in range(20):
        for k in range(5):
            first, second = block_order(seed, "c", 2 * k), block_order(seed, "c", 2 * k + 1)
            assert first == tuple(reversed(second))
    orders = {block_order(seed, "c", 0) for seed in range(20)}
    assert orders == {("base", "current"), ("current", "base")}
    assert block_order(7, "c", 4) == block_order(7, "c", 4)


def test_a_clear_case_stops_at_the_minimum_number_of_blocks():
    fake = FakeVersions(current_effect=-0.2, noise=0.01)
    outcome = measure_blocks(["c"], GateSettings(min_blocks=6, max_blocks=12), fake)
    assert len(outcome.measurements) == 12
    assert outcome.stopped_by == "decided"
    assert judge_case("c", outcome.measurements, GateSettings()).verdict == "slower"


def test_an_inconclusive_case_gets_pairs_of_blocks_up_to_max_blocks():
    fake = FakeVersions(current_effect=-0.05, noise=0.15)  # right at the threshold, noisy
    settings = GateSettings(min_blocks=6, max_blocks=10, budget_s=1e9)
    outcome = measure_blocks(["c"], settings, fake)
    assert outcome.stopped_by == "max_blocks"
    assert len(outcome.measurements) == 20
    assert {c[2] for c in fake.calls} == set(range(10))


def test_the_budget_stops_re_runs_before_a_pair_would_overrun_it():
    fake = FakeVersions(current_effect=-0.05, noise=0.15)
    settings = GateSettings(min_blocks=6, max_blocks=40, budget_s=100.0)
    outcome = measure_blocks(["c"], settings, fake, clock=Clock(fake, 5.0))
    assert outcome.stopped_by == "budget"
    assert len(fake.calls) * 5.0 <= 100.0


def test_only_undecided_cases_are_measured_again():
    slow, unsure = FakeVersions(-0.2, noise=0.01), FakeVersions(0.0, noise=0.4, seed=1)

    def measure(case_id, role, block, slot):
        return (slow if case_id == "slow" else unsure)(case_id, role, block, slot)

    outcome = measure_blocks(["slow", "unsure"], GateSettings(min_blocks=6, max_blocks=10),
                             measure)
    blocks = {c: {m.block for m in outcome.measurements if m.case_id == c}
              for c in ("slow", "unsure")}
    assert blocks == {"slow": set(range(6)), "unsure": set(range(10))}


def test_a_failing_case_is_measured_no_further():
    fake = FakeVersions(fail="current")
    outcome = measure_blocks(["c"], GateSettings(), fake)
    assert len(fake.calls) <= 2
    assert judge_case("c", outcome.measurements, GateSettings()).verdict == "failed"


def test_ctrl_c_keeps_every_finished_measurement():
    fake = FakeVersions(current_effect=-0.2, interrupt_at=9)
    seen: list[ProcessMeasurement] = []
    outcome = measure_blocks(["c"], GateSettings(), fake, on_measurement=seen.append)
    assert outcome.interrupted and outcome.stopped_by == "interrupted"
    assert len(outcome.measurements) == 9 == len(seen)


def test_a_lost_cluster_stops_measuring_and_keeps_what_was_measured():
    from aisbench.ab.errors import MeasuringStopped

    fake = FakeVersions()

    def measure(case_id, role, block, slot):
        if len(fake.calls) == 5:
            raise MeasuringStopped("a target stopped answering")
        return fake(case_id, role, block, slot)

    outcome = measure_blocks(["c"], GateSettings(), measure)
    assert not outcome.interrupted
    assert outcome.stopped_by == "a target stopped answering"
    assert len(outcome.measurements) == 5


def test_a_replay_of_the_record_reaches_the_live_verdict_at_the_same_block():
    settings = GateSettings(min_blocks=6, max_blocks=12, budget_s=1e9)
    for effect, noise, seed in ((-0.2, 0.01, 0), (0.0, 0.01, 1), (-0.05, 0.15, 2)):
        outcome = measure_blocks(["c"], settings, FakeVersions(effect, noise=noise, seed=seed))
        live = judge_case("c", outcome.measurements, settings)
        replayed = replay("c", outcome.measurements, settings)
        assert (replayed.verdict, replayed.blocks) == (live.verdict, live.blocks)


def test_a_replay_with_a_looser_threshold_stops_where_that_gate_would_have():
    # 12 blocks recorded of a noisy 4% slowdown: strict gate measures them all, a loose one
    # is sure after the first 6 that nothing beyond 20% changed.
    record = measure_blocks(["c"], GateSettings(min_blocks=12, max_blocks=12),
                            FakeVersions(-0.04, noise=0.02)).measurements
    loose = GateSettings(threshold=0.2, cpu_threshold=0.2, min_blocks=6, max_blocks=12)
    verdict = replay("c", record, loose)
    assert (verdict.verdict, verdict.blocks) == ("unchanged", 6)
