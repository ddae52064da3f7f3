"""A stand-in for a few public web pages, on loopback: an HTTPS-intercepting forward proxy.

Some third-party tests fetch a fixed URL with a plain ``httpx.get`` (``ChatModelIntegrationTests::
test_image_inputs`` downloads a PNG from raw.githubusercontent.com). :class:`OfflineWeb` lets
them run offline against a real server instead of a patched client:

* it listens on ``127.0.0.1`` (a background thread) as an HTTP forward proxy;
* ``CONNECT host:443`` for a host of its routes is answered ``200`` and the client side is then
  wrapped in TLS with a certificate for that host, signed by a throwaway CA (``trustme``);
  the HTTP/1.1 requests inside the tunnel are served from ``routes``
  (``{url: (content_type, body)}``); an unknown path is a ``404``;
* ``CONNECT`` to any other host is refused with ``502`` (the client raises ``ProxyError``);
  plain-HTTP proxy requests (``GET http://host/path``) are served from ``routes`` the same way;
* it never opens an outbound connection: it only ever accepts.

:meth:`OfflineWeb.env` gives the variables that point ``httpx`` (``trust_env``, the default)
at it: ``HTTPS_PROXY``/``HTTP_PROXY``, ``SSL_CERT_FILE`` (the CA) and ``NO_PROXY`` for loopback,
so clients of local servers (the router emulator) still connect directly.
"""

from __future__ import annotations

import shutil
import ssl
import tempfile
import threading
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from types import TracebackType
from typing import Any
from urllib.parse import urlsplit

import trustme

__all__ = ["LOOPBACK", "OfflineWeb", "ProxiedRequest"]

LOOPBACK = ("127.0.0.1", "localhost", "::1")


@dataclass(frozen=True)
class ProxiedRequest:
    """One request the proxy answered: ``method`` (``CONNECT``, ``GET``, ...), the absolute
    ``url`` (``host:port`` for ``CONNECT``) and the ``status`` it was given."""

    method: str
    url: str
    status: int


def _split_authority(authority: str, default_port: int) -> tuple[str, int]:
    parts = urlsplit(f"//{authority}")
    return (parts.hostname or "").lower(), parts.port or default_port


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so a tunnel can carry several requests
    server: _ProxyServer
    timeout = 30  # an idle connection is dropped after this many seconds

    def setup(self) -> None:
        super().setup()
        self._tunnel_host: str | None = None  # set once CONNECT has switched the socket to TLS
        self._tls: ssl.SSLSocket | None = None

    def finish(self) -> None:
        try:
            super().finish()
        finally:
            if self._tls is not None:
                self._tls.close()

    # -- the tunnel ------------------------------------------------------------------------
    def do_CONNECT(self) -> None:
        if self._tunnel_host is not None:
            self._reply(400, "text/plain", b"CONNECT inside a tunnel\n")
            return
        host, port = _split_authority(self.path, 443)
        web = self.server.web
        if port != 443 or host not in web.hosts:
            self._reply(502, "text/plain", f"offline: no route to {self.path}\n".encode())
            self.close_connection = True
            return
        self.send_response(200, "Connection Established")
        self.end_headers()
        self.wfile.flush()
        web._log(ProxiedRequest("CONNECT", self.path, 200))
        tls = web._server_context(host).wrap_socket(self.connection, server_side=True)
        self._tls = tls
        self.connection = tls
        self.rfile = tls.makefile("rb", self.rbufsize)
        self.wfile = tls.makefile("wb", self.wbufsize)
        self._tunnel_host = host
        self.close_connection = False

    # -- requests ----------------------------------------------------------------------------
    def do_GET(self) -> None:
        self._serve(body=True)

    def do_HEAD(self) -> None:
        self._serve(body=False)

    def _url(self) -> str | None:
        if self._tunnel_host is not None:
            return f"https://{self._tunnel_host}{self.path}" if self.path.startswith("/") else None
        if self.path.startswith("http://"):  # a plain-HTTP proxy request: absolute-form
            return self.path
        return None

    def _serve(self, *, body: bool) -> None:
        url = self._url()
        route = self.server.web.routes.get(url) if url is not None else None
        if route is None:
            self._reply(404, "text/plain", b"not found\n", body=body, url=url)
            return
        content_type, content = route
        self._reply(200, content_type, content, body=body, url=url)

    def _reply(
        self,
        status: int,
        content_type: str,
        content: bytes,
        *,
        body: bool = True,
        url: str | None = None,
    ) -> None:
        # logged before answering: a client that has its answer always finds it in the log
        self.server.web._log(ProxiedRequest(self.command or "?", url or self.path, status))
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(content)))
        self.end_headers()
        if body:
            self.wfile.write(content)
        self.wfile.flush()

    def send_error(self, code: int, message: str | None = None, explain: str | None = None) -> None:
        """Errors (bad request lines, unsupported methods) as a plain reply, then close."""
        self.close_connection = True
        text = f"{code} {message or self.responses.get(code, ('',))[0]}\n".encode()
        self._reply(code, "text/plain", text, body=self.command != "HEAD")

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet: the requests are in :attr:`OfflineWeb.requests`."""


class _ProxyServer(ThreadingHTTPServer):
    daemon_threads = True
    block_on_close = False

    def __init__(self, web: OfflineWeb) -> None:
        self.web = web
        super().__init__(("127.0.0.1", 0), _Handler)

    def handle_error(self, request: Any, client_address: Any) -> None:
        """A client that hangs up (or fails TLS) is not an error of the proxy."""


class OfflineWeb:
    """Serve ``routes`` (``{absolute url: (content_type, body bytes)}``) through a loopback
    HTTPS-intercepting proxy; use as a context manager (or :meth:`start`/:meth:`stop`)."""

    def __init__(self, routes: dict[str, tuple[str, bytes]]) -> None:
        for url in routes:
            parts = urlsplit(url)
            if parts.scheme not in ("http", "https") or not parts.hostname:
                raise ValueError(f"not an absolute http(s) URL: {url!r}")
        self.routes = {self._normalise(url): route for url, route in routes.items()}
        self.hosts = frozenset(
            urlsplit(url).hostname or "" for url in self.routes if url.startswith("https://")
        )
        self.ca = trustme.CA(organization_name="hf-router offline web (test CA)")
        self.requests: list[ProxiedRequest] = []
        self._lock = threading.Lock()
        self._contexts: dict[str, ssl.SSLContext] = {}
        self._server: _ProxyServer | None = None
        self._thread: threading.Thread | None = None
        self._dir: Path | None = None

    @staticmethod
    def _normalise(url: str) -> str:
        parts = urlsplit(url)
        host = (parts.hostname or "").lower()
        default = {"http": 80, "https": 443}[parts.scheme]
        netloc = host if parts.port in (None, default) else f"{host}:{parts.port}"
        query = f"?{parts.query}" if parts.query else ""
        return f"{parts.scheme}://{netloc}{parts.path or '/'}{query}"

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> OfflineWeb:
        if self._server is not None:
            return self
        self._dir = Path(tempfile.mkdtemp(prefix="offline-web-"))
        self.ca.cert_pem.write_to_path(str(self.ca_path))
        self._server = _ProxyServer(self)
        self._thread = threading.Thread(
            target=self._server.serve_forever,
            kwargs={"poll_interval": 0.05},
            name="offline-web-proxy",
            daemon=True,
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.shutdown()
            self._server.server_close()
            self._server = None
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
        if self._dir is not None:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None

    def __enter__(self) -> OfflineWeb:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- addresses ---------------------------------------------------------------------------
    @property
    def port(self) -> int:
        if self._server is None:
            raise RuntimeError("the proxy is not running; use `with OfflineWeb(...) as web:`")
        return int(self._server.server_address[1])

    @property
    def proxy_url(self) -> str:
        """``http://127.0.0.1:PORT``, for ``HTTPS_PROXY``."""
        return f"http://127.0.0.1:{self.port}"

    @property
    def ca_path(self) -> Path:
        """The throwaway CA's certificate (PEM), for ``SSL_CERT_FILE``."""
        if self._dir is None:
            raise RuntimeError("the proxy is not running")
        return self._dir / "ca.pem"

    def env(self) -> dict[str, str]:
        """The variables that route ``httpx`` (``trust_env``) through the proxy, trusting only
        its CA, with loopback kept direct. Set both spellings: lower case wins in urllib."""
        values = {
            "HTTPS_PROXY": self.proxy_url,
            "HTTP_PROXY": self.proxy_url,
            "ALL_PROXY": self.proxy_url,
            "NO_PROXY": ",".join(LOOPBACK),
        }
        env = {**values, **{name.lower(): value for name, value in values.items()}}
        env["SSL_CERT_FILE"] = str(self.ca_path)
        return env

    # -- internals ---------------------------------------------------------------------------
    def _server_context(self, host: str) -> ssl.SSLContext:
        with self._lock:
            context = self._contexts.get(host)
            if context is None:
                context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
                self.ca.issue_cert(host).configure_cert(context)
                self._contexts[host] = context
            return context

    def _log(self, entry: ProxiedRequest) -> None:
        with self._lock:
            self.requests.append(entry)
