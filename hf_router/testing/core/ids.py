"""Deterministic ids for the things the emulator makes (jobs, messages, conversations)."""

from __future__ import annotations

import hashlib
import uuid

__all__ = ["uuid_for"]


def uuid_for(kind: str, number: int) -> str:
    """A deterministic uuid4-shaped id for the ``number``-th thing of ``kind``."""
    digest = hashlib.sha256(f"{kind}-{number}".encode()).digest()
    return str(uuid.UUID(bytes=digest[:16], version=4))
