"""``allocator app``: the web app for policy teams, in a browser (:mod:`allocator.app`).

The lead registers it as ``app.command("app")(app_command)``. Streamlit is imported only by
the server process this command becomes, so other commands do not load it.
"""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from allocator.cli.console import err, fail


def app_command(
    port: Annotated[
        int | None, typer.Option("--port", help="TCP port to serve on (default: a free port chosen at start).")
    ] = None,
    host: Annotated[
        str,
        typer.Option(
            "--host",
            help="Address to serve on. The default 127.0.0.1 serves this computer only. Another address "
            "(0.0.0.0: every network this computer is on) lets anyone who can reach it use the app, "
            "which has no login: use it only on a network you trust.",
        ),
    ] = "127.0.0.1",
) -> None:
    """Start the web app: pick or upload an instance, edit it, solve, compare scenarios, download reports."""
    from ..app.server import free_port, is_loopback, serve

    if port is not None and not 1 <= port <= 65535:
        fail(f"--port: must be from 1 to 65535 (got {port})")
    try:
        chosen = port or free_port(host)
    except OSError as e:
        fail(f"--host {host}: cannot serve on it ({e.strerror or e})")
    shown = f"[{host}]" if ":" in host else host
    where = "this computer only" if is_loopback(host) else "every computer that can reach this address"
    err.print(f"allocator app: http://{shown}:{chosen}/ (serving {where}; Ctrl-C stops it)", highlight=False)
    if not is_loopback(host):
        err.print(
            f"[bold yellow]warning:[/] --host {host}: the app has no login; anyone who can reach this "
            "address can use it and upload files to it.",
            highlight=False,
        )
    sys.stderr.flush()
    serve(host, chosen)
