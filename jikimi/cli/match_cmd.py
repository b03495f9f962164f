"""Registers `jikimi match` (the command itself lives in `jikimi.cli.match`)."""

from __future__ import annotations

from jikimi.cli.app_state import app
from jikimi.cli.match import match_command

app.command("match")(match_command)
