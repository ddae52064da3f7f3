"""Per-credential client pools for the seed facades: one client per configuration, keyed by a
digest of the token or cookie, never the secret itself."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from typing import TypeVar

from .config import Secret

__all__ = ["ClientPool", "secret_digest"]

T = TypeVar("T")


def secret_digest(secret: str | Secret | None) -> str | None:
    """The SHA-256 hex digest of ``secret`` for use in a pool key; None when it is empty."""
    value = secret.get_secret_value() if isinstance(secret, Secret) else secret
    return hashlib.sha256(value.encode()).hexdigest() if value else None


class ClientPool(dict[Hashable, T]):
    """Clients by key (a dict), each created once under a lock by :meth:`get_or_create`."""

    def __init__(self) -> None:
        super().__init__()
        self._lock = threading.Lock()

    def get_or_create(self, key: Hashable, create: Callable[[], T]) -> T:
        """The client for ``key``, made with ``create()`` the first time."""
        with self._lock:
            client = self.get(key)
            if client is None:
                client = self[key] = create()
        return client
