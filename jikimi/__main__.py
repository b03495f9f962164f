"""`python -m jikimi` is the `jikimi` command."""

from __future__ import annotations

from jikimi.cli import run

run()
