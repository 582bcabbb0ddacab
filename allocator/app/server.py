"""How ``allocator app`` starts Streamlit: address, port and limits, stated in one place."""

from __future__ import annotations

import ipaddress
import os
import socket
import sys
from pathlib import Path

from .logic import UPLOAD_LIMIT_MB

PAGE = Path(__file__).with_name("page.py")
LOOPBACK = "127.0.0.1"


def is_loopback(host: str) -> bool:
    """True for an address only this computer can reach (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def free_port(host: str = LOOPBACK) -> int:
    """A TCP port that is free on ``host`` now (the operating system's choice)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(family, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def streamlit_args(host: str, port: int) -> list[str]:
    """The ``streamlit run`` command line: bound to ``host``, uploads up to 20 MB, no file
    watcher, no usage statistics sent anywhere, no development menus."""
    options = {
        "server.address": host,
        "server.port": str(port),
        "server.headless": "true",
        "server.maxUploadSize": str(UPLOAD_LIMIT_MB),
        "server.enableXsrfProtection": "true",
        "server.fileWatcherType": "none",
        "server.runOnSave": "false",
        "browser.gatherUsageStats": "false",
        "browser.serverAddress": host if host not in ("0.0.0.0", "::") else "localhost",
        "global.developmentMode": "false",
        "client.toolbarMode": "minimal",
        "client.showErrorDetails": "false",
        "theme.base": "light",
    }
    args = ["run", str(PAGE)]
    for key, value in options.items():
        args += [f"--{key}", value]
    return args


def environment() -> dict[str, str]:
    """The environment for Streamlit: this checkout's package first on the path."""
    env = dict(os.environ)
    root = str(Path(__file__).resolve().parents[2])
    env["PYTHONPATH"] = os.pathsep.join([root] + [p for p in env.get("PYTHONPATH", "").split(os.pathsep) if p])
    env["STREAMLIT_BROWSER_GATHER_USAGE_STATS"] = "false"
    return env


def serve(host: str, port: int) -> None:
    """Replace this process by the Streamlit server (so a signal to it stops the server)."""
    argv = [sys.executable, "-m", "streamlit", *streamlit_args(host, port)]
    sys.stdout.flush()
    sys.stderr.flush()
    if os.name == "posix":
        os.execve(sys.executable, argv, environment())
    import subprocess  # pragma: no cover - Windows

    raise SystemExit(subprocess.call(argv, env=environment()))  # pragma: no cover
