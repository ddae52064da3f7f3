"""Splitting inline ``<think>...</think>`` reasoning out of streamed text (tags may be split
across chunks at any character). Pure and shared: the chat decoder and the HuggingChat update
parser both use it."""

from __future__ import annotations

from ..events import Event, ReasoningDelta, TextDelta

__all__ = ["CLOSE_TAG", "OPEN_TAG", "ThinkSplitter", "split_think"]

OPEN_TAG = "<think>"
CLOSE_TAG = "</think>"


class ThinkSplitter:
    """Splits ``<think>...</think>`` out of streamed content, tags possibly split across chunks.

    :meth:`feed` appends :class:`~hf_router.events.ReasoningDelta` (inside a block) and
    :class:`~hf_router.events.TextDelta` (outside) events to ``out``; a partial tag at the end of
    a chunk is held until the next one (or :meth:`flush`). The blank space a model puts right
    after ``</think>`` is not part of the answer."""

    __slots__ = ("_after_close", "_held", "in_think")

    def __init__(self) -> None:
        self.in_think = False
        self._held = ""
        self._after_close = False

    @property
    def busy(self) -> bool:
        """True while inside a think block, holding a partial tag, or just after one."""
        return self.in_think or self._after_close or bool(self._held)

    def feed(self, text: str, out: list[Event]) -> None:
        """Split ``text`` (the next piece of the stream) into events appended to ``out``."""
        if self._held:
            text = self._held + text
            self._held = ""
        while text:
            tag = CLOSE_TAG if self.in_think else OPEN_TAG
            pos = text.find(tag)
            if pos >= 0:
                self._emit(text[:pos], out)
                text = text[pos + len(tag) :]
                self.in_think = not self.in_think
                self._after_close = not self.in_think
                continue
            keep = _partial_suffix(text, tag)
            if keep:
                self._held = text[-keep:]
                text = text[:-keep]
            self._emit(text, out)
            return

    def flush(self, out: list[Event]) -> None:
        """The end of the stream: a held partial tag is text after all."""
        if self._held:
            held, self._held = self._held, ""
            self._emit(held, out)

    def _emit(self, text: str, out: list[Event]) -> None:
        if self._after_close and not self.in_think:
            # The blank lines models put after </think> are not part of the answer.
            text = text.lstrip()
            self._after_close = not text
        if text:
            out.append(ReasoningDelta(text) if self.in_think else TextDelta(text))


def _partial_suffix(text: str, tag: str) -> int:
    """Length of the longest suffix of ``text`` that is a proper prefix of ``tag``."""
    start = text.rfind("<", max(0, len(text) - len(tag) + 1))
    if start < 0:
        return 0
    tail = text[start:]
    return len(tail) if tag.startswith(tail) else 0


def split_think(text: str) -> tuple[str, str]:
    """A whole text as ``(answer, reasoning)``: what :class:`ThinkSplitter` makes of it."""
    out: list[Event] = []
    splitter = ThinkSplitter()
    splitter.feed(text, out)
    splitter.flush(out)
    answer = "".join(e.text for e in out if isinstance(e, TextDelta))
    reasoning = "".join(e.text for e in out if isinstance(e, ReasoningDelta))
    return answer, reasoning
