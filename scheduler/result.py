"""What one pass ended with: the type the crawl runner, the after-crawl steps and the CLI share."""

from __future__ import annotations

from dataclasses import dataclass, field

GOOD = ("ok", "empty")
EXIT_OK, EXIT_FAILED, EXIT_DEGRADED = 0, 1, 3


@dataclass
class NightlyResult:
    """A pass's runs, per-source outcomes, new exposures per case, exit code, problems and export."""

    run_ids: list[int]
    outcomes: dict[str, str] = field(default_factory=dict)
    reasons: dict[str, str] = field(default_factory=dict)
    unreached_terms: dict[str, int] = field(default_factory=dict)  # per source: terms not searched this pass
    new_by_case: dict[int, int] = field(default_factory=dict)
    exit_code: int = EXIT_OK
    problems: list[str] = field(default_factory=list)
    export_path: str | None = None
    exported: int = 0
