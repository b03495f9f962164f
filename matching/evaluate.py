"""Scores the matcher on a labelled JSONL set: `python -m matching.evaluate PATH` (exit 1 if the bar fails).

Bar: every `high` case found, at least 90% of `low` cases found, no false positive.

Mapping of a case line to term specs: all `terms` of a line share one case_id (the line number); each entry
becomes `TermSpec(kind=entry["kind"], aliases=entry["aliases"], exclude=entry["exclude"],
context=entry["context"])`, the last three optional. One matcher is built for all lines, as the crawler builds
one for all cases, and each text is scanned for its own case only. Output names case ids and variant labels,
never the texts or terms.
"""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from matching.matcher import Matcher
from matching.terms import TermSpec

LOW_RECALL_BAR = 0.9


@dataclass(frozen=True)
class Case:
    """One labelled line."""

    case_id: int
    label: str
    text: str
    specs: tuple[TermSpec, ...]
    expect: bool
    confidence: str | None
    variant: str


@dataclass
class Tally:
    """Counts for one group of cases."""

    positives: int = 0
    found: int = 0
    negatives: int = 0
    false_positives: int = 0

    def add(self, expect: bool, found: bool) -> None:
        if expect:
            self.positives += 1
            self.found += found
        else:
            self.negatives += 1
            self.false_positives += found

    def recall(self) -> float:
        return self.found / self.positives if self.positives else 1.0

    def precision(self) -> float:
        """Share of reported cases that were expected: found / (found + false positives)."""
        reported = self.found + self.false_positives
        return self.found / reported if reported else 1.0


@dataclass
class Report:
    """Tallies overall, per variant label and per expected confidence class, plus the failing case labels."""

    overall: Tally = field(default_factory=Tally)
    by_variant: dict[str, Tally] = field(default_factory=dict)
    by_confidence: dict[str, Tally] = field(default_factory=dict)
    missed: list[str] = field(default_factory=list)
    false_positives: list[str] = field(default_factory=list)

    def passes(self) -> bool:
        high = self.by_confidence.get("high", Tally())
        low = self.by_confidence.get("low", Tally())
        return (
            high.found == high.positives
            and low.recall() >= LOW_RECALL_BAR
            and self.overall.false_positives == 0
        )


def parse_cases(lines: Iterable[str]) -> list[Case]:
    cases: list[Case] = []
    for number, line in enumerate(lines):
        if not line.strip():
            continue
        row = json.loads(line)
        specs = tuple(
            TermSpec(
                case_id=number,
                term_id=position,
                text=entry["term"],
                kind=entry.get("kind", "name"),
                aliases=tuple(entry.get("aliases", ())),
                context=tuple(entry.get("context", ())),
                exclude=tuple(entry.get("exclude", ())),
            )
            for position, entry in enumerate(row["terms"])
        )
        cases.append(
            Case(
                number,
                str(row.get("id", number)),
                row["text"],
                specs,
                bool(row["expect"]),
                row.get("confidence"),
                str(row.get("variant", "unlabelled")),
            )
        )
    return cases


def evaluate(cases: Sequence[Case]) -> Report:
    matcher = Matcher.build(spec for case in cases for spec in case.specs)
    report = Report()
    for case in cases:
        found = bool(matcher.scan(case.text, case_ids={case.case_id}))
        report.overall.add(case.expect, found)
        report.by_variant.setdefault(case.variant, Tally()).add(case.expect, found)
        report.by_confidence.setdefault(case.confidence or "negative", Tally()).add(case.expect, found)
        if case.expect and not found:
            report.missed.append(case.label)
        if found and not case.expect:
            report.false_positives.append(case.label)
    return report


def _line(name: str, tally: Tally) -> str:
    parts = [f"{name:<28}"]
    if tally.positives:
        parts.append(f"found {tally.found}/{tally.positives} ({tally.recall():.0%})")
    if tally.negatives:
        parts.append(f"false positives {tally.false_positives}/{tally.negatives}")
    return "  ".join(parts)


def format_report(report: Report) -> str:
    lines = [
        f"precision {report.overall.precision():.1%}  recall {report.overall.recall():.1%}",
        _line("overall", report.overall),
        "",
        "by confidence class:",
    ]
    lines += ["  " + _line(name, tally) for name, tally in sorted(report.by_confidence.items())]
    lines += ["", "by variant:"]
    lines += ["  " + _line(name, tally) for name, tally in sorted(report.by_variant.items())]
    lines.append("")
    if report.missed:
        lines.append("missed: " + ", ".join(report.missed))
    if report.false_positives:
        lines.append("false positives: " + ", ".join(report.false_positives))
    lines.append(
        "bar: "
        + ("PASS" if report.passes() else "FAIL")
        + f" (all high found, >= {LOW_RECALL_BAR:.0%} of low found, no false positive)"
    )
    return "\n".join(lines)


def main(argv: Sequence[str]) -> int:
    if len(argv) != 1:
        print("usage: python -m matching.evaluate PATH", file=sys.stderr)
        return 2
    with open(argv[0], encoding="utf-8") as handle:
        cases = parse_cases(handle)
    report = evaluate(cases)
    print(format_report(report))
    return 0 if report.passes() else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
