"""The loopback HTTPS-intercepting proxy of ``tests/_offline_web.py`` (used by the standard
suite's ``test_image_inputs``): it serves its routes over real TLS, answers 404 for unknown
paths, refuses other hosts without any outbound connection, and leaves loopback direct."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from _offline_web import OfflineWeb, ProxiedRequest

from hf_router import RouterClient
from hf_router.testing import RouterEmulator
from hf_router.testing.core.files import png

URL = "https://files.example.org/a/picture.png?size=small"
TEXT_URL = "http://plain.example.org/hello.txt"
PICTURE = png("offline web")


@pytest.fixture
def web(monkeypatch: pytest.MonkeyPatch) -> Iterator[OfflineWeb]:
    routes = {URL: ("image/png", PICTURE), TEXT_URL: ("text/plain", b"hello\n")}
    with OfflineWeb(routes) as web:
        for name, value in web.env().items():
            monkeypatch.setenv(name, value)
        yield web


@pytest.fixture
def connects(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """Every address a socket of this process connects to (and every name resolved) during the
    test; pytest-socket's guard stays in place underneath."""
    seen: list[Any] = []
    connect, getaddrinfo = socket.socket.connect, socket.getaddrinfo

    def recording_connect(sock: socket.socket, address: Any) -> Any:
        seen.append(("connect", address))
        return connect(sock, address)

    def recording_getaddrinfo(host: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(("resolve", host))
        return getaddrinfo(host, *args, **kwargs)

    monkeypatch.setattr(socket.socket, "connect", recording_connect)
    monkeypatch.setattr(socket, "getaddrinfo", recording_getaddrinfo)
    return seen


def test_a_route_is_served_over_tls_through_the_proxy(web, connects):
    response = httpx.get(URL, timeout=10.0)
    assert response.status_code == 200
    assert response.headers["content-type"] == "image/png"
    assert response.content == PICTURE
    assert response.http_version == "HTTP/1.1"
    assert web.requests == [
        ProxiedRequest("CONNECT", "files.example.org:443", 200),
        ProxiedRequest("GET", URL, 200),
    ]
    # the only connection was to the proxy; the target's name was never resolved
    assert connects == [("resolve", "127.0.0.1"), ("connect", ("127.0.0.1", web.port))]


def test_one_tunnel_carries_several_requests(web):
    with httpx.Client(timeout=10.0) as client:
        first = client.get(URL)
        missing = client.get("https://files.example.org/a/other.png")
        again = client.get(URL)
    assert (first.status_code, missing.status_code, again.status_code) == (200, 404, 200)
    assert again.content == PICTURE
    assert [(r.method, r.status) for r in web.requests] == [
        ("CONNECT", 200),
        ("GET", 200),
        ("GET", 404),
        ("GET", 200),
    ]


def test_an_unknown_url_on_a_served_host_is_a_404(web):
    response = httpx.get("https://files.example.org/a/picture.png", timeout=10.0)  # no query
    assert response.status_code == 404
    assert web.requests[-1] == ProxiedRequest("GET", "https://files.example.org/a/picture.png", 404)


def test_plain_http_routes_are_served_as_a_forward_proxy(web):
    response = httpx.get(TEXT_URL, timeout=10.0)
    assert (response.status_code, response.text) == (200, "hello\n")
    assert httpx.get("http://plain.example.org/other", timeout=10.0).status_code == 404


def test_another_host_fails_without_any_outbound_connection(web, connects):
    with pytest.raises(httpx.ProxyError, match="502"):
        httpx.get("https://www.example.com/index.html", timeout=10.0)
    assert web.requests == [ProxiedRequest("CONNECT", "www.example.com:443", 502)]
    assert connects == [("resolve", "127.0.0.1"), ("connect", ("127.0.0.1", web.port))]


def test_the_certificate_is_only_trusted_through_the_test_ca(web):
    with pytest.raises(httpx.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx.get(URL, proxy=web.proxy_url, trust_env=False, timeout=10.0)  # certifi's roots


def test_loopback_stays_direct(web, emulator: RouterEmulator):
    client = RouterClient("hf_test", base_url=emulator.base_url, hub_url=emulator.hub_url)
    try:
        result = client.chat(
            "meta-llama/Llama-3.3-70B-Instruct", [{"role": "user", "content": "hi"}]
        )
    finally:
        client.close()
    assert result.text == "hi"
    for host in ("127.0.0.1", "localhost"):
        url = emulator.url.replace("127.0.0.1", host) + "/v1/models"
        assert httpx.get(url, timeout=10.0).status_code == 200
    assert web.requests == []
    assert [r.path for r in emulator.requests] == [
        "/v1/chat/completions",
        "/v1/models",
        "/v1/models",
    ]


def test_routes_must_be_absolute_http_urls():
    with pytest.raises(ValueError, match="absolute"):
        OfflineWeb({"/relative.png": ("image/png", PICTURE)})
