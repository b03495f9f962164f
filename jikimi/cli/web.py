"""`jikimi web`: serve the advocates' console on the same database and keys as the command line.

A threaded Werkzeug server, meant for a centre's local network or loopback; production runs the same
application under gunicorn behind TLS (docs/console.md). Its access log goes through the redacting
formatter, and the console never puts a term in a URL.
"""

from __future__ import annotations

import contextlib
import io
import logging
import sys
from typing import Annotated

import typer

from jikimi.cli.app_state import CliError, state
from jikimi.logs import RedactingFormatter, setup_logging


def web_command(
    host: Annotated[str, typer.Option("--host", help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option("--port", help="Port to listen on (0: any free port).")] = 8080,
) -> None:
    """Serve the web console (sign in with a `jikimi user add` account)."""
    from werkzeug.serving import make_server

    from web import create_app

    store = state.store()
    application = create_app(store, state.settings())
    try:
        # Werkzeug prints its own advice and exits when the port is taken: one line of ours instead.
        with contextlib.redirect_stderr(io.StringIO()):
            server = make_server(host, port, application, threaded=True)
    except SystemExit:
        raise CliError(f"--host/--port: cannot listen on {host}:{port} (address in use)") from None
    except (OSError, OverflowError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        raise CliError(f"--host/--port: cannot listen on {host}:{port} ({reason})") from None
    setup_logging(logging.INFO if state.verbose else logging.WARNING)
    # The access log (one line per request) on stderr, through the same redacting formatter.
    access = logging.StreamHandler(sys.stderr)
    access.setFormatter(RedactingFormatter("%(message)s"))
    access.setLevel(logging.INFO)
    werkzeug_log = logging.getLogger("werkzeug")
    werkzeug_log.setLevel(logging.INFO)
    werkzeug_log.addHandler(access)
    werkzeug_log.propagate = False
    shown_host = f"[{host}]" if ":" in host else host
    print(f"jikimi console: http://{shown_host}:{server.server_port}/", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()
