"""Commands built by other parts of jikimi, registered on the app in one place."""

from __future__ import annotations

from jikimi.cli.app_state import app
from jikimi.cli.match import match_command

app.command("match", help="Try terms against text on stdin before registering them (nothing is stored).")(
    match_command
)
