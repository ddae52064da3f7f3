"""Reading HuggingChat's answers, with no I/O: the newline-delimited message updates of a turn
(:class:`UpdateParser`, incremental, fed with raw network chunks, or with decoded updates from
the replay endpoint) and the forms of the conversation data that hold the current message id
(:func:`message_id_from_api`, :func:`message_id_from_data`).

Both generations of chat-ui are understood: 2023/2024 (``webSearch`` updates, ``reasoning``
updates, ``file``) and 2026 (MCP ``tool`` updates, ``routerMetadata``, ``elicitation``, inline
``<think>``). See ``docs/huggingchat-protocol.md`` for the wire format.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

from .._shared.bodies import dumps, loads
from .._shared.ndjson import LineSplitter
from .._shared.think import ThinkSplitter, split_think
from ..errors import (
    AuthenticationError,
    ConversationError,
    HFRouterError,
    MalformedResponseError,
    PaymentRequiredError,
    ProviderError,
    RateLimitError,
)
from ..events import (
    Event,
    Finish,
    MediaResult,
    ReasoningDelta,
    Source,
    Sources,
    Status,
    TextDelta,
    Title,
)
from ._data import message_id_from_api, message_id_from_data
from ._mcp import McpUpdates
from ._sources import (
    SourceSet,
    clean,
    markdown_images,
    markdown_sources,
    source_from_dict,
)

__all__ = ["PROVIDER", "UpdateParser", "message_id_from_api", "message_id_from_data"]

logger = logging.getLogger("hf_router")

PROVIDER = "huggingchat"
"""The provider name that HuggingChat's errors carry."""
_EXCERPT = 80
_RATE_LIMIT_RE = re.compile(r"too many|rate.?limit", re.IGNORECASE)
_SEARCH_RE = re.compile(r"search", re.IGNORECASE)


def _shown(value: Any) -> str:
    try:
        return dumps(value)[:1000]
    except ValueError:
        return "(nested too deeply to show)"


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


class UpdateParser(McpUpdates):
    """Incremental parser of one HuggingChat turn: :meth:`feed` it bytes (or text) as they
    arrive, in any chunking, and it returns the events completed so far; :meth:`close` at the
    end of the body checks that the turn was answered.

    Lines are split on ``\\n`` (a line or a UTF-8 character may span chunks); blank and
    whitespace-only lines (and the spaces chat-ui sends after ``finalAnswer``) are padding. A
    line that is not JSON is logged and skipped (as the seed does); updates of unknown types are
    ignored. Reading goes on past ``finalAnswer`` until ``status: finished`` or the end of the
    body (a title may come late). Sources (web-search updates, tool results, markdown links of
    the answer) are emitted, deduplicated by URL, as one :class:`~hf_router.events.Sources`
    right before the final :class:`~hf_router.events.Finish`.

    For a resumed stream, :meth:`rewind` then :meth:`apply` replays the run's updates from the
    start: only what was not delivered yet comes out again.
    """

    def __init__(
        self,
        *,
        chat_url: str,
        conversation_id: str,
        model: str | None = None,
        prompt: str = "",
        clock: Callable[[], float] | None = None,
        redact: Callable[[str], str] | None = None,
    ) -> None:
        self.chat_url = chat_url.rstrip("/")
        self.conversation_id = conversation_id
        self.model = model
        self.prompt = prompt
        self._clock = clock
        self._redact = redact or (lambda text: text)
        self._start = clock() if clock else 0.0
        self._lines = LineSplitter()
        self._sources = SourceSet()
        self._images: set[str] = set()
        self._tools: dict[str, str] = {}
        self._seen: set[tuple[str, ...]] = set()
        self._served: tuple[str, str] = ("", "")
        self._elicitation: dict[str, Any] | None = None
        self._interrupted = False
        self.title: str | None = None
        self.media: list[MediaResult] = []
        self.final_text: str | None = None
        self.done = False
        self._reset_pass()
        self._marks = [0, 0]  # delivered answer / reasoning characters (high-water marks)

    def _reset_pass(self) -> None:
        self._think = ThinkSplitter()
        self._round: list[str] = []
        self._visible: list[str] = []
        self._pos = [0, 0]

    # -- results ------------------------------------------------------------------------------
    @property
    def answered(self) -> bool:
        """True once the final answer was read."""
        return self.final_text is not None

    @property
    def text(self) -> str:
        """The answer's text so far (the final answer's text once it came)."""
        return self.final_text if self.final_text is not None else "".join(self._visible)

    @property
    def sources(self) -> list[Source]:
        """The sources collected so far, deduplicated by URL, in arrival order."""
        return self._sources.all()

    # -- feeding ------------------------------------------------------------------------------
    def feed(self, chunk: bytes | str) -> list[Event]:
        """Parse a chunk of the body and return the events of the lines it completes."""
        if self.done:
            return []
        data = chunk.encode("utf-8") if isinstance(chunk, str) else chunk
        try:
            lines = self._lines.feed(data)
        except MalformedResponseError as exc:
            raise self._error(exc.message) from None
        events: list[Event] = []
        for line in lines:
            events.extend(self._line(line))
            if self.done:
                break
        return events

    @property
    def line_count(self) -> int:
        """How many complete lines arrived so far (the stall guard watches it)."""
        return self._lines.lines

    def close(self) -> list[Event]:
        """The end of the body: parse a last unterminated line, then finish the turn (or raise
        :class:`~hf_router.errors.ConversationError` without a final answer, or
        :class:`~hf_router.errors.InputRequiredError` when a tool asked for input)."""
        events: list[Event] = []
        if not self.done:
            events = self._line(self._lines.close())
        if not self.done:
            events.extend(self._end())
        return events

    def rewind(self) -> None:
        """Start a replay of the run from its first update (a resumed stream)."""
        self._lines = LineSplitter()
        self._reset_pass()

    def apply(self, update: Any) -> list[Event]:
        """The events of one decoded update (the replay endpoint's ``data``)."""
        if self.done or not isinstance(update, dict):
            return []
        kind = update.get("type")
        if not isinstance(kind, str):
            raise self._untyped(update)
        handler = _HANDLERS.get(kind)
        return handler(self, update) if handler else []

    # -- helpers ------------------------------------------------------------------------------
    def _error(self, message: str) -> ConversationError:
        return ConversationError(
            message, conversation_id=self.conversation_id, model=self.model, provider=PROVIDER
        )

    def _line(self, line: str) -> list[Event]:
        line = line.strip()
        if not line:
            return []
        try:
            update = loads(line)
        except ValueError:
            logger.warning(
                "HuggingChat sent a line that is not JSON (skipped): %r",
                _excerpt(self._redact(line)),
            )
            return []
        if not isinstance(update, dict):
            logger.warning(
                "HuggingChat sent a JSON %s, not an update (skipped)", type(update).__name__
            )
            return []
        return self.apply(update)

    def _once(self, *key: str) -> bool:
        """True the first time ``key`` is seen (a replay does not repeat events)."""
        if key in self._seen:
            return False
        self._seen.add(key)
        return True

    def _deliver(self, kind: int, text: str) -> str:
        """The part of ``text`` (the next piece of answer or reasoning) not delivered yet."""
        start, end = self._pos[kind], self._pos[kind] + len(text)
        self._pos[kind] = end
        mark = self._marks[kind]
        if end <= mark:
            return ""
        self._marks[kind] = end
        return text[max(mark - start, 0) :]

    def _split(self, split: list[Event]) -> list[Event]:
        out: list[Event] = []
        for event in split:
            if isinstance(event, TextDelta):
                self._round.append(event.text)
                self._visible.append(event.text)
                if fresh := self._deliver(0, event.text):
                    out.append(TextDelta(fresh))
            elif isinstance(event, ReasoningDelta) and (fresh := self._deliver(1, event.text)):
                out.append(ReasoningDelta(fresh))
        return out

    def _untyped(self, update: dict[str, Any]) -> HFRouterError:
        message = next(
            (update[k] for k in ("message", "error") if isinstance(update.get(k), str)), None
        )
        if message:
            return self._server_error(message)
        return self._error(
            f"HuggingChat sent an update without a type: {_excerpt(self._redact(_shown(update)))}"
        )

    def _server_error(self, message: str, status_code: Any = None) -> HFRouterError:
        message = self._redact(message)
        message = message if len(message) <= 500 else message[:499] + "…"
        common: dict[str, Any] = {
            "server_message": message,
            "model": self.model,
            "provider": PROVIDER,
        }
        if status_code == 402:
            return PaymentRequiredError(
                "HuggingChat stopped: the account's usage needs payment (HuggingChat PRO or "
                "inference credits)",
                status_code=402,
                **common,
            )
        if status_code == 401:
            return AuthenticationError(
                "HuggingChat's inference request was not authorized (the login token may be "
                "revoked or lack a scope)",
                status_code=401,
                hint="Log in to https://huggingface.co/chat again and copy fresh cookies.",
                **common,
            )
        code = (
            status_code
            if isinstance(status_code, int) and not isinstance(status_code, bool)
            else None
        )
        limited = code == 429 or _RATE_LIMIT_RE.search(message)
        cls = RateLimitError if limited else ProviderError
        return cls("HuggingChat reported an error while answering", status_code=code, **common)

    def _end(self) -> list[Event]:
        """The turn is over: Sources and Finish, or the error for a turn without an answer."""
        if self.final_text is None:
            if self._elicitation is not None:
                raise self._input_required(self._elicitation)
            raise ConversationError(
                "HuggingChat's answer ended without a final answer",
                conversation_id=self.conversation_id,
                model=self.model,
                provider=PROVIDER,
                hint="The answer was cut short; retry the message (the conversation is kept).",
            )
        self.done = True
        events: list[Event] = []
        if self._sources:
            events.append(Sources(tuple(self._sources.all())))
        events.append(Finish("interrupted" if self._interrupted else "stop", model=self.model))
        return events

    def _elapsed(self) -> float:
        return self._clock() - self._start if self._clock else 0.0

    def _media(self, url: str, mime: str | None = None) -> list[Event]:
        if url in self._images:
            return []
        self._images.add(url)
        result = MediaResult(
            kind="video" if mime and mime.startswith("video/") else "image",
            path=None,
            url=url,
            mime_type=mime or None,
            width=None,
            height=None,
            provider=PROVIDER,
            prompt=self.prompt,
        )
        self.media.append(result)
        return [result]

    # -- one update per type ------------------------------------------------------------------
    def _status(self, update: dict[str, Any]) -> list[Event]:
        status = update.get("status")
        message = clean(update.get("message")).strip()
        if status == "error":
            raise self._server_error(message or "unknown error", update.get("statusCode"))
        if status == "title" and message:  # 2023 chat-ui sent the title as a status
            return self._title({"title": message})
        if status == "finished":
            return self._end()
        return []

    def _stream(self, update: dict[str, Any]) -> list[Event]:
        token = clean(update.get("token"))
        if not token:
            return []
        split: list[Event] = []
        self._think.feed(token, split)
        return self._split(split)

    def _reasoning(self, update: dict[str, Any]) -> list[Event]:
        subtype = update.get("subtype")
        if subtype == "status" or (subtype is None and "status" in update):
            status = clean(update.get("status")).strip()
            if not status or not self._once("reasoning", status):
                return []
            return [Status("Reasoning", status, self._elapsed())]
        token = clean(update.get("token"))
        return self._split([ReasoningDelta(token)]) if token else []

    def _web_search(self, update: dict[str, Any]) -> list[Event]:
        raw = update.get("sources")
        if isinstance(raw, list):
            self._sources.add(source_from_dict(item) for item in raw)
        subtype = update.get("subtype", update.get("messageType"))
        message = clean(update.get("message")).strip()
        if subtype in ("update", "error") and message:
            label = "Web search error" if subtype == "error" else "Web search"
            args = update.get("args")
            if isinstance(args, list) and args:
                message = f"{message} {' '.join(str(a) for a in args)}"
            return [Status(label, message)]
        return []

    def _title(self, update: dict[str, Any]) -> list[Event]:
        title = clean(update.get("title")).strip()
        if not title or title == self.title:
            return []
        self.title = title
        return [Title(title)]

    def _file(self, update: dict[str, Any]) -> list[Event]:
        sha = update.get("sha")
        if not isinstance(sha, str) or not sha:
            raise self._error("HuggingChat announced a file without its 'sha'")
        mime = update.get("mime") if isinstance(update.get("mime"), str) else None
        url = (
            f"{self.chat_url}/conversation/{quote(self.conversation_id, safe='')}"
            f"/output/{quote(sha, safe='')}"
        )
        return self._media(url, mime)

    def _final(self, update: dict[str, Any]) -> list[Event]:
        if self.final_text is not None:
            return []
        split: list[Event] = []
        self._think.flush(split)
        events = self._split(split)
        streamed = "".join(self._round)
        final, _ = split_think(clean(update.get("text")))
        # Text only the final answer carries (nothing or less was streamed) is delivered too.
        if final and final.startswith(streamed) and len(final) > len(streamed):
            events.extend(self._split([TextDelta(final[len(streamed) :])]))
        self.final_text = final or streamed
        self._interrupted = update.get("interrupted") is True
        web = update.get("webSources")
        if isinstance(web, list):
            self._sources.add(source_from_dict(item) for item in web)
        self._sources.add(markdown_sources(self.final_text))
        for url in markdown_images(self.final_text):
            events.extend(self._media(url))
        return events


_HANDLERS: dict[str, Callable[[UpdateParser, dict[str, Any]], list[Event]]] = {
    "status": UpdateParser._status,
    "stream": UpdateParser._stream,
    "reasoning": UpdateParser._reasoning,
    "webSearch": UpdateParser._web_search,
    "tool": UpdateParser._tool,
    "routerMetadata": UpdateParser._router_metadata,
    "elicitation": UpdateParser._elicitation_update,
    "title": UpdateParser._title,
    "file": UpdateParser._file,
    "finalAnswer": UpdateParser._final,
}
