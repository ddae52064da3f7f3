"""Replay of recorded vcrpy YAML cassettes."""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlsplit

from starlette.responses import Response, StreamingResponse

__all__ = ["CassetteStore", "Interaction", "load_interactions"]

# Recorded headers that describe the recorded connection, not the answer: never replayed.
_SKIPPED_HEADERS = frozenset(
    {"content-length", "transfer-encoding", "connection", "content-encoding", "keep-alive"}
    | {"date", "server"}
)


@dataclass
class Interaction:
    """One recorded request/response pair."""

    method: str
    path: str
    status: int
    headers: list[tuple[str, str]]
    body: bytes
    used: bool = False

    @property
    def content_type(self) -> str:
        """The recorded content type ('' if none)."""
        return next((v for k, v in self.headers if k == "content-type"), "")

    def response(self) -> Response:
        """The recorded answer; event streams are sent one event per network chunk."""
        if self.content_type.startswith("text/event-stream"):
            response: Response = StreamingResponse(_events(self.body), self.status)
        else:
            response = Response(self.body, self.status)
        response.raw_headers.extend(
            (k.encode("latin-1"), v.encode("latin-1")) for k, v in self.headers
        )
        return response


async def _events(body: bytes) -> AsyncIterator[bytes]:
    start = 0
    while start < len(body):
        end = body.find(b"\n\n", start)
        end = len(body) if end < 0 else end + 2
        yield body[start:end]
        start = end


def _text(value: Any) -> bytes:
    if value is None:
        return b""
    if isinstance(value, bytes):
        return value
    return str(value).encode("utf-8")


def _interaction(raw: Mapping[str, Any]) -> Interaction:
    request, response = raw["request"], raw["response"]
    body = response.get("body")
    if isinstance(body, Mapping):
        body = body.get("string")
    headers: list[tuple[str, str]] = []
    for name, values in (response.get("headers") or {}).items():
        if name.lower() in _SKIPPED_HEADERS:
            continue
        for value in values if isinstance(values, list) else [values]:
            headers.append((name.lower(), str(value)))
    status = response.get("status", {})
    return Interaction(
        method=str(request["method"]).upper(),
        path=unquote(urlsplit(request["uri"]).path) or "/",
        status=int(status.get("code", 200) if isinstance(status, Mapping) else status),
        headers=headers,
        body=_text(body),
    )


def load_interactions(path: str | Path) -> list[Interaction]:
    """Read a vcrpy cassette (YAML); ``ValueError`` if it is not one."""
    import yaml

    with open(path, encoding="utf-8") as handle:
        data = yaml.safe_load(handle)
    if not isinstance(data, Mapping) or not isinstance(data.get("interactions"), list):
        raise ValueError(f"{path} is not a vcrpy cassette (no 'interactions' list)")
    try:
        return [_interaction(raw) for raw in data["interactions"]]
    except (KeyError, TypeError, ValueError) as exc:
        raise ValueError(f"{path}: malformed interaction ({exc!r})") from None


@dataclass
class CassetteStore:
    """Loaded interactions, each replayed once, matched by method and path in recorded order."""

    interactions: list[Interaction] = field(default_factory=list)

    def load(self, path: str | Path) -> int:
        """Add a cassette's interactions; returns how many were loaded."""
        loaded = load_interactions(path)
        self.interactions.extend(loaded)
        return len(loaded)

    def take(self, method: str, path: str) -> Interaction | None:
        """The first unused interaction for this method and path, now marked used."""
        for interaction in self.interactions:
            if not interaction.used and interaction.method == method and interaction.path == path:
                interaction.used = True
                return interaction
        return None

    def clear(self) -> None:
        """Forget every loaded cassette."""
        self.interactions.clear()
