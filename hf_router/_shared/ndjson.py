"""Splitting a newline-delimited body (NDJSON) into lines: linear in the body's size (each
byte is looked at once, a long line is kept as a list of pieces, never re-copied) and with a
cap on the length of one line, like the Server-Sent Events decoder's."""

from __future__ import annotations

from ..errors import MalformedResponseError

__all__ = ["MAX_LINE", "LineSplitter"]

MAX_LINE = 16 * 1024 * 1024
"""The longest line accepted (16 MiB, as for Server-Sent Events)."""


class LineSplitter:
    """Feed raw bytes with :meth:`feed` (any chunking); it returns the complete lines, decoded
    as UTF-8 (invalid bytes replaced) without their ``\\n``. :meth:`close` returns the last
    unterminated line. A line longer than ``max_line`` bytes raises
    :class:`~hf_router.errors.MalformedResponseError` before more of it is kept."""

    __slots__ = ("_parts", "_size", "lines", "max_line")

    def __init__(self, max_line: int = MAX_LINE) -> None:
        self.max_line = max_line
        self._parts: list[bytes] = []
        self._size = 0
        self.lines = 0
        """How many complete lines were returned so far."""

    def feed(self, chunk: bytes) -> list[str]:
        """The lines that ``chunk`` completes."""
        out: list[str] = []
        start = 0
        while True:
            end = chunk.find(b"\n", start)
            if end < 0:
                break
            piece = chunk[start:end]
            if self._parts:
                self._check(self._size + len(piece))
                self._parts.append(piece)
                line = b"".join(self._parts)
                self._parts, self._size = [], 0
            else:
                self._check(len(piece))
                line = piece
            out.append(line.decode("utf-8", errors="replace"))
            start = end + 1
        rest = chunk[start:] if start else chunk
        if rest:
            self._check(self._size + len(rest))
            self._parts.append(rest)
            self._size += len(rest)
        self.lines += len(out)
        return out

    def close(self) -> str:
        """The last line when the body did not end with ``\\n`` ("" otherwise)."""
        line = b"".join(self._parts).decode("utf-8", errors="replace")
        self._parts, self._size = [], 0
        return line

    def _check(self, size: int) -> None:
        if size > self.max_line:
            self._parts, self._size = [], 0
            raise MalformedResponseError(
                f"A line of the answer exceeded {self.max_line // (1024 * 1024)} MiB",
                hint="The server sent something that is not a stream of JSON lines.",
            )
