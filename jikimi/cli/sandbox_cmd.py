"""`jikimi sandbox`: the local fake internet, for tests, the demo and training new advocates."""

from __future__ import annotations

from typing import Annotated

import typer

from jikimi.cli.app_state import app


@app.command("sandbox")
def sandbox_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one).")] = 8800,
) -> None:
    """Serve the sandbox web (fictional engines, pages and channels) until Ctrl-C."""
    from sandbox.server import serve

    serve(host, port)
