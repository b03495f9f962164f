"""`jikimi sandbox`: the local fake internet, for tests, the demo and training new advocates."""

from __future__ import annotations

from typing import Annotated

import typer

from jikimi.cli.app_state import CliError
from jikimi.config_template import sandbox_config


def sandbox_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0 picks a free one).")] = 8800,
    config: Annotated[
        bool,
        typer.Option(
            "--config",
            help="Print a ready config.toml for a sandbox on --host and --port, and exit (serves nothing).",
        ),
    ] = False,
) -> None:
    """Serve the sandbox web (fictional engines, pages and channels) until Ctrl-C.

    With --config, print instead the configuration that points jikimi at it (keys included: the
    sandbox accepts them as printed), e.g. `jikimi sandbox --config > "$JIKIMI_DATA_DIR/config.toml"`.
    """
    if config:
        if port == 0:
            raise CliError("--config needs the port the sandbox will listen on (not 0)")
        netloc = f"[{host}]" if ":" in host else host  # an IPv6 address needs brackets in a URL
        typer.echo(sandbox_config(f"http://{netloc}:{port}"), nl=False)
        return
    from sandbox.server import serve

    serve(host, port)
