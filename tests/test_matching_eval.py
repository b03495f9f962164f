"""The labelled development set meets the bar: every high case found, >= 90% of low cases, no false
positive."""

from __future__ import annotations

import importlib.util
from pathlib import Path

import pytest

from matching.evaluate import LOW_RECALL_BAR, Report, Tally, evaluate, format_report, main, parse_cases

DEV_SET = Path(__file__).parent / "data" / "matching-dev.jsonl"
BENCHMARK = Path(__file__).parent.parent / "benchmarks" / "bench_matching.py"


@pytest.fixture(scope="module")
def report() -> Report:
    return evaluate(parse_cases(DEV_SET.read_text(encoding="utf-8").splitlines()))


def test_dev_set_meets_the_bar(report: Report) -> None:
    high, low = report.by_confidence["high"], report.by_confidence["low"]
    assert high.found == high.positives, report.missed
    assert low.recall() >= LOW_RECALL_BAR, report.missed
    assert report.overall.false_positives == 0, report.false_positives
    assert report.passes()


def test_report_names_cases_not_texts(report: Report) -> None:
    output = format_report(report)
    assert "bar: PASS" in output and "respelled" in output
    assert "홍길동" not in output


@pytest.mark.parametrize(
    ("tallies", "passes"),
    [
        ({"high": Tally(2, 2), "low": Tally(10, 9)}, True),
        ({"high": Tally(2, 1), "low": Tally(10, 10)}, False),
        ({"high": Tally(2, 2), "low": Tally(10, 8)}, False),
    ],
)
def test_bar(tallies: dict[str, Tally], passes: bool) -> None:
    assert Report(by_confidence=tallies).passes() is passes
    failing = Report(by_confidence=tallies)
    failing.overall.false_positives = 1
    assert not failing.passes()


def test_command_exit_codes(tmp_path: Path) -> None:
    assert main([str(DEV_SET)]) == 0
    bad = tmp_path / "bad.jsonl"
    bad.write_text(
        '{"id": "X", "text": "김민수", "terms": [{"term": "김민수", "kind": "name"}], "expect": false, '
        '"confidence": null, "variant": "other-name"}\n',
        encoding="utf-8",
    )
    assert main([str(bad)]) == 1
    assert main([]) == 2


def test_benchmark_script_runs_on_a_tiny_input() -> None:
    spec = importlib.util.spec_from_file_location("bench_matching", BENCHMARK)
    assert spec is not None and spec.loader is not None
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    result = bench.measure(200, 0.02, 8, 1)
    assert result["terms"] == 200
    for kind in ("clean", "disguised"):
        assert result[f"{kind}_mb"] >= 0.02 and result[f"{kind}_matches"] > 0
        # the floor is measured on the same pages and finds the names written exactly
        assert result[f"{kind}_plain_mb_per_s"] > 0 and result[f"{kind}_plain_hits"] > 0


@pytest.mark.parametrize(
    ("tally", "precision", "recall"),
    [
        (Tally(positives=4, found=3, negatives=2, false_positives=1), 0.75, 0.75),
        (Tally(positives=4, found=4, negatives=2, false_positives=0), 1.0, 1.0),
    ],
)
def test_precision_and_recall(tally: Tally, precision: float, recall: float) -> None:
    assert (tally.precision(), tally.recall()) == (precision, recall)


def test_report_prints_precision_and_recall(report: Report) -> None:
    first = format_report(report).splitlines()[0]
    assert first.startswith("precision ") and "recall " in first
