"""A small hostile HTTP server on a raw socket (not the emulator), for the security tests.

Each connection is served by a thread that parses one HTTP/1.1 request and hands it, with the
socket, to the first route whose method and path prefix match. A route writes whatever bytes it
likes (a status line or none, a body that never ends, 300 MB, ...); ``Connection: close`` is
implied, so every request gets a fresh connection. Routes see the request's headers, so they can
echo the token or cookie back, as a hostile or broken server would.
"""

from __future__ import annotations

import contextlib
import json
import socket
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

__all__ = ["HostileServer", "Request", "head", "respond", "sse"]


@dataclass
class Request:
    """One request as the server read it."""

    method: str
    path: str
    headers: dict[str, str]
    body: bytes = field(repr=False)

    def echo(self) -> str:
        """What a header-echoing server says back: the Authorization and Cookie headers."""
        return f"echo {self.headers.get('authorization', '')} {self.headers.get('cookie', '')}"


Route = Callable[[Request, socket.socket, "HostileServer"], None]


def _reason(status: int) -> str:
    return {200: "OK", 400: "Bad Request", 404: "Not Found", 429: "Too Many Requests"}.get(
        status, "Status"
    )


def head(
    conn: socket.socket,
    status: int = 200,
    content_type: str = "text/event-stream",
    headers: Iterable[tuple[str, str]] = (),
    length: int | None = None,
) -> None:
    """Send a status line and headers (no Content-Length: the body ends when we close)."""
    lines = [f"HTTP/1.1 {status} {_reason(status)}", f"Content-Type: {content_type}"]
    lines += [f"{k}: {v}" for k, v in headers]
    if length is not None:
        lines.append(f"Content-Length: {length}")
    lines.append("Connection: close")
    conn.sendall(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"))


def respond(
    conn: socket.socket,
    status: int,
    body: bytes | str | Any,
    content_type: str = "application/json",
    headers: Iterable[tuple[str, str]] = (),
) -> None:
    """A whole response with a Content-Length (``body`` may be JSON data)."""
    if not isinstance(body, bytes | str):
        body = json.dumps(body)
    data = body.encode() if isinstance(body, str) else body
    head(conn, status, content_type, headers, length=len(data))
    conn.sendall(data)


def sse(*payloads: Any) -> bytes:
    """Server-Sent Events ``data:`` messages (dicts are JSON-encoded)."""
    out = b""
    for p in payloads:
        text = p if isinstance(p, str) else json.dumps(p)
        out += f"data: {text}\n\n".encode()
    return out


class HostileServer:
    """``with HostileServer() as server: server.route("POST", "/v1/chat", fn)``."""

    def __init__(self) -> None:
        self.routes: list[tuple[str, str, Route]] = []
        self.requests: list[Request] = []
        self.stopping = threading.Event()
        self._sock: socket.socket | None = None
        self._conns: set[socket.socket] = set()
        self._lock = threading.Lock()

    def __repr__(self) -> str:
        return f"HostileServer({self.url if self._sock else 'stopped'})"

    @property
    def url(self) -> str:
        assert self._sock is not None
        host, port = self._sock.getsockname()[:2]
        return f"http://{host}:{port}"

    @property
    def port(self) -> int:
        assert self._sock is not None
        return int(self._sock.getsockname()[1])

    def route(self, method: str, prefix: str, handler: Route) -> None:
        """Serve requests whose method is ``method`` and path starts with ``prefix``."""
        self.routes.append((method, prefix, handler))

    def paths(self, method: str | None = None) -> list[str]:
        """The paths requested so far (of ``method`` only when given)."""
        return [r.path for r in self.requests if method is None or r.method == method]

    def __enter__(self) -> HostileServer:
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind(("127.0.0.1", 0))
        sock.listen(64)
        sock.settimeout(0.2)
        self._sock = sock
        threading.Thread(target=self._accept, daemon=True).start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.stopping.set()
        with self._lock:
            conns = list(self._conns)
        for conn in conns:
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
            with contextlib.suppress(OSError):
                conn.close()
        if self._sock is not None:
            self._sock.close()

    def _accept(self) -> None:
        assert self._sock is not None
        while not self.stopping.is_set():
            try:
                conn, _ = self._sock.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            with self._lock:
                self._conns.add(conn)
            threading.Thread(target=self._serve, args=(conn,), daemon=True).start()

    def _read_request(self, conn: socket.socket) -> Request | None:
        conn.settimeout(10)
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = conn.recv(65536)
            if not chunk:
                return None
            data += chunk
        head_bytes, _, rest = data.partition(b"\r\n\r\n")
        first, *lines = head_bytes.decode("latin-1").split("\r\n")
        method, path, _ = first.split(" ", 2)
        headers = {}
        for line in lines:
            name, _, value = line.partition(":")
            headers[name.strip().lower()] = value.strip()
        length = int(headers.get("content-length", "0") or 0)
        while len(rest) < length:
            chunk = conn.recv(65536)
            if not chunk:
                break
            rest += chunk
        return Request(method, path, headers, rest)

    def _serve(self, conn: socket.socket) -> None:
        try:
            request = self._read_request(conn)
            if request is None:
                return
            self.requests.append(request)
            for method, prefix, handler in self.routes:
                if request.method == method and request.path.startswith(prefix):
                    handler(request, conn, self)
                    break
            else:
                respond(conn, 404, {"error": f"no route for {request.path}"})
        except OSError:
            pass  # the client went away (as it should, on a hostile answer)
        finally:
            with contextlib.suppress(OSError):
                conn.close()
            with self._lock:
                self._conns.discard(conn)

    def wait(self, seconds: float) -> None:
        """Sleep in a handler, but wake up when the server stops."""
        self.stopping.wait(seconds)


def trickle(conn: socket.socket, server: HostileServer, data: bytes, every: float) -> None:
    """Send ``data`` one byte at a time, ``every`` seconds apart, then keep the line open
    with a byte every ``every`` seconds until the server stops."""
    for i in range(len(data)):
        conn.sendall(data[i : i + 1])
        server.wait(every)
    while not server.stopping.is_set():
        conn.sendall(b"x")
        server.wait(every)


def flood(conn: socket.socket, total: int, piece: bytes) -> None:
    """Send ``total`` bytes made of ``piece`` repeated, as fast as the client reads."""
    block = piece * max(1, (1024 * 1024) // len(piece))
    sent = 0
    while sent < total:
        chunk = block[: total - sent]
        conn.sendall(chunk)
        sent += len(chunk)


def never(conn: socket.socket, server: HostileServer) -> None:
    """Read the request and answer nothing at all until the server stops."""
    while not server.stopping.is_set():
        server.wait(0.2)


def monotonic() -> float:
    return time.monotonic()
