"""The running proxy's local control channel: a Unix domain socket, `control.sock`, in its data
folder. `pullcheck holds` and `pullcheck decide` talk to it.

Why a Unix socket and not an HTTP endpoint: any web page can make the browser send requests
through the proxy, but no web page can open a Unix socket. Only the user's own processes can: the
data folder is made 0700 and the socket 0600.

The protocol is newline-delimited JSON, one request and one answer per line:

    {"cmd": "holds"}                                -> {"ok": true, "holds": [...]}
    {"cmd": "decide", "id": "h3-…", "choice": "send"} -> {"ok": true} or
                                                       {"ok": false, "status": "gone", "error": "…"}

It is served on mitmproxy's own event loop, so a decision is applied exactly where the hold
waits. Lines are bounded (`MAX_LINE`), so are connections (`MAX_CLIENTS`) and their idle time.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import socket
import stat
from collections.abc import Callable
from pathlib import Path
from typing import Any, Protocol

from pullcheck.proxy.holds import CHOICES, ENDED_MESSAGES, HoldRegistry

logger = logging.getLogger("pullcheck.holds")

SOCKET_NAME = "control.sock"
MAX_LINE = 64 * 1024
MAX_CLIENTS = 16
IDLE_S = 30.0
# sockaddr_un's sun_path holds 108 bytes on Linux, including the final NUL.
MAX_SOCKET_PATH = 107


def socket_path(data_dir: Path) -> Path:
    return Path(data_dir) / SOCKET_NAME


class HoldsOwner(Protocol):
    """The proxy state (`ProxyState`) as the socket uses it: its holds."""

    @property
    def holds(self) -> HoldRegistry: ...


class ControlSocket:
    def __init__(self, data_dir: Path, get_state: Callable[[], HoldsOwner | None]) -> None:
        self.path = socket_path(data_dir)
        self._get_state = get_state
        self._server: asyncio.AbstractServer | None = None
        self._sock: socket.socket | None = None
        self._clients = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> str | None:
        """Bind and start serving on the running loop; a reason when it cannot."""
        if len(os.fsencode(self.path)) > MAX_SOCKET_PATH:
            return f"{self.path} is longer than a Unix socket path may be"
        folder = self.path.parent
        folder.mkdir(parents=True, exist_ok=True)
        # The folder holds the sent log and the socket: only its owner may enter it.
        if stat.S_IMODE(folder.stat().st_mode) & 0o077:
            with contextlib.suppress(OSError):
                folder.chmod(0o700)
        if self.path.exists() or self.path.is_symlink():
            if _answers(self.path):
                return f"another pullcheck proxy already serves {self.path}"
            self.path.unlink()  # left by a proxy that did not stop cleanly
        sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        old_umask = os.umask(0o177)  # the socket is born 0600: no window where others connect
        try:
            sock.bind(str(self.path))
        except OSError as error:
            sock.close()
            return f"cannot bind {self.path}: {error}"
        finally:
            os.umask(old_umask)
        os.chmod(self.path, 0o600)
        sock.listen(MAX_CLIENTS)
        sock.setblocking(False)
        self._sock = sock
        self._task = asyncio.get_running_loop().create_task(self._serve(sock))
        return None

    async def _serve(self, sock: socket.socket) -> None:
        self._server = await asyncio.start_unix_server(self._client, sock=sock, limit=MAX_LINE)

    def close(self) -> None:
        if self._server is not None:
            self._server.close()
            self._server = None
        elif self._sock is not None:
            self._sock.close()
        if self._task is not None and not self._task.done():
            self._task.cancel()
        self._sock = None
        with contextlib.suppress(FileNotFoundError):
            self.path.unlink()

    async def _client(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        if self._clients >= MAX_CLIENTS:
            writer.close()
            return
        self._clients += 1
        try:
            while True:
                try:
                    line = await asyncio.wait_for(reader.readline(), IDLE_S)
                except (TimeoutError, ValueError, ConnectionError):
                    break  # idle, a line over MAX_LINE, or gone
                if not line:
                    break
                answer = self.answer(line)
                writer.write(json.dumps(answer, separators=(",", ":")).encode() + b"\n")
                await writer.drain()
        except ConnectionError:
            pass
        finally:
            self._clients -= 1
            writer.close()

    def answer(self, line: bytes) -> dict[str, Any]:
        try:
            ask = json.loads(line)
        except ValueError:
            return {"ok": False, "status": "invalid", "error": "not a JSON line"}
        if not isinstance(ask, dict):
            return {"ok": False, "status": "invalid", "error": "expected a JSON object"}
        state = self._get_state()
        if state is None:
            return {"ok": False, "status": "stopped", "error": "pullcheck is not active"}
        command = ask.get("cmd")
        if command == "holds":
            return {"ok": True, "holds": [hold.listing() for hold in state.holds.pending()]}
        if command == "decide":
            hold_id, choice = ask.get("id"), ask.get("choice")
            if not isinstance(hold_id, str) or choice not in CHOICES:
                return {
                    "ok": False,
                    "status": "invalid",
                    "error": "expected {cmd: decide, id, choice: send|edit}",
                }
            status = state.holds.decide_status(hold_id, choice)
            if status != "applied":
                return {"ok": False, "status": status, "error": ENDED_MESSAGES[status]}
            return {"ok": True, "decision": choice}
        return {"ok": False, "status": "invalid", "error": f"unknown command {command!r}"}


def _answers(path: Path) -> bool:
    probe = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    probe.settimeout(1.0)
    try:
        probe.connect(str(path))
        return True
    except OSError:
        return False
    finally:
        probe.close()
