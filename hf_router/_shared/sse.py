"""An incremental Server-Sent Events decoder: bytes in, messages out, no I/O.

Strict about framing, lenient about content: it accepts ``data:`` with or without the space,
multi-line ``data``, ``\\n``, ``\\r\\n`` and ``\\r`` line endings (also when split across network
chunks), comment/keep-alive lines (``:``), ``event:``, ``id:`` and ``retry:`` fields, and UTF-8
characters split across chunks. A non-empty line that is none of these is not SSE and raises
:class:`~hf_router.errors.MalformedResponseError`.
"""

from __future__ import annotations

from typing import NamedTuple

from ..errors import MalformedResponseError

__all__ = ["SSEDecoder", "SSEMessage"]

_KNOWN_FIELDS = frozenset({"event", "id", "retry"})
_MAX_LINE = 16 * 1024 * 1024


class SSEMessage(NamedTuple):
    """One dispatched SSE message (a named tuple: built once per event, so kept cheap)."""

    event: str
    data: str


class SSEDecoder:
    """Feed raw bytes with :meth:`feed`; call :meth:`close` at the end of the stream."""

    __slots__ = ("_buffer", "_data", "_event", "_pending_cr")

    def __init__(self) -> None:
        self._buffer = b""
        self._data: list[str] = []
        self._event = ""
        self._pending_cr = False

    def feed(self, chunk: bytes) -> list[SSEMessage]:
        """Decode a network chunk; returns the messages completed by it."""
        if not chunk:
            return []
        if self._pending_cr:
            self._pending_cr = False
            if chunk.startswith(b"\n"):
                chunk = chunk[1:]
        if b"\r" in chunk:
            if chunk.endswith(b"\r"):
                self._pending_cr = True
            chunk = chunk.replace(b"\r\n", b"\n").replace(b"\r", b"\n")
        buffer = self._buffer + chunk if self._buffer else chunk
        if b"\n" not in buffer:
            if len(buffer) > _MAX_LINE:
                raise MalformedResponseError("A Server-Sent Events line exceeded 16 MiB")
            self._buffer = buffer
            return []
        *lines, self._buffer = buffer.split(b"\n")
        out: list[SSEMessage] = []
        data = self._data
        for raw in lines:
            # The hot path (a ``data: {...}`` line, then a blank line) is handled inline.
            if raw.startswith(b"data: "):
                try:
                    data.append(raw[6:].decode("utf-8"))
                except UnicodeDecodeError:
                    self._line(raw, out)
            elif not raw and data:
                out.append(SSEMessage(self._event or "message", _joined(data)))
                data.clear()
                self._event = ""
            else:
                self._line(raw, out)
        return out

    def close(self) -> list[SSEMessage]:
        """End of stream: flush a final message not followed by a blank line."""
        out: list[SSEMessage] = []
        if self._buffer:
            raw, self._buffer = self._buffer, b""
            self._line(raw, out)
        if self._data:
            self._dispatch(out)
        return out

    def _line(self, raw: bytes, out: list[SSEMessage]) -> None:
        if not raw:
            if self._data:
                self._dispatch(out)
            else:
                self._event = ""
            return
        try:
            line = raw.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise MalformedResponseError(
                f"The event stream is not valid UTF-8 ({exc.reason})"
            ) from None
        if line.startswith("data:"):
            value = line[5:]
            self._data.append(value[1:] if value.startswith(" ") else value)
            return
        if line[0] == ":":
            return  # comment / keep-alive
        name, sep, value = line.partition(":")
        if sep and name in _KNOWN_FIELDS:
            if name == "event":
                self._event = value[1:] if value.startswith(" ") else value
            return
        if not line.strip():
            return
        preview = line if len(line) <= 80 else line[:77] + "..."
        raise MalformedResponseError(
            f"The server sent a line that is not Server-Sent Events: {preview!r}"
        )

    def _dispatch(self, out: list[SSEMessage]) -> None:
        out.append(SSEMessage(self._event or "message", _joined(self._data)))
        self._data.clear()
        self._event = ""


def _joined(lines: list[str]) -> str:
    return lines[0] if len(lines) == 1 else "\n".join(lines)
