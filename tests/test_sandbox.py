"""The suite cannot reach the internet by accident: only loopback and unix sockets."""

from __future__ import annotations

import socket

import pytest
from pytest_socket import SocketConnectBlockedError


def test_allow_hosts_is_configured(request: pytest.FixtureRequest) -> None:
    allowed = request.config.getoption("allow_hosts")
    assert allowed is not None
    assert set(str(allowed).split(",")) <= {"127.0.0.1", "localhost", "::1"}


@pytest.mark.filterwarnings("ignore:A test tried to use socket:UserWarning")
def test_non_loopback_connections_are_blocked(request: pytest.FixtureRequest) -> None:
    assert request.config.getoption("allow_hosts")  # never try the connect without the guard
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    try:
        with pytest.raises(SocketConnectBlockedError):
            sock.connect(("192.0.2.1", 443))  # TEST-NET-1: blocked before any packet is sent
    finally:
        sock.close()


def test_loopback_is_allowed() -> None:
    server = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    client = socket.create_connection(server.getsockname(), timeout=2)
    client.close()
    server.close()
