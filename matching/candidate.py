"""A possible match before context and exclusions are weighed, and how it becomes a confidence."""

from __future__ import annotations

from dataclasses import dataclass

from matching.kinds import WEIGHTS, flag_variants


@dataclass(slots=True)
class Candidate:
    """`base` is how the term was found (exact, alias, respelled, chosung ...); `flags` the clean-ups
    undone."""

    term: int
    base: str
    start: int
    end: int
    flags: int = 0
    spacing: str = ""
    reasons: tuple[str, ...] = ()
    needs_context: bool = False
    case_signal_only: bool = False
    cap: float = 1.0

    def variant_and_weight(self) -> tuple[str, float]:
        """The most telling variant label and the confidence before context.

        The weakest disguise sets the confidence; each further disguise takes a little off, because stacking
        clean-ups also stacks the chance of an accidental hit.
        """
        labels = flag_variants(self.flags)
        if self.spacing:
            labels.append(self.spacing)
        labels.append(self.base)
        weights = [WEIGHTS[label] for label in labels]
        lowest = min(weights)
        variant = labels[weights.index(lowest)]
        extra = sum(1 for w in weights if w < 1.0) - 1
        confidence = min(lowest, self.cap) - 0.05 * max(extra, 0)
        return variant, round(max(confidence, 0.05), 2)


def distance(a_start: int, a_end: int, b_start: int, b_end: int) -> int:
    """Characters between two spans (0 when they touch or overlap)."""
    return max(0, max(a_start, b_start) - min(a_end, b_end))
