"""Reading HuggingChat's answers, with no I/O: the newline-delimited message updates of a turn
(:class:`UpdateParser`, incremental, fed with raw network chunks) and the two forms of the
conversation data that hold the current message id (:func:`message_id_from_api`,
:func:`message_id_from_data`).

See ``docs/huggingchat-protocol.md`` for the wire format.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import quote, urlsplit

from .._shared.bodies import dumps, loads
from .._shared.ndjson import LineSplitter
from ..errors import (
    ConversationError,
    HFRouterError,
    MalformedResponseError,
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

__all__ = ["PROVIDER", "UpdateParser", "message_id_from_api", "message_id_from_data"]

PROVIDER = "huggingchat"
"""The provider name that HuggingChat's errors carry."""
_EXCERPT = 80
_RATE_LIMIT_RE = re.compile(r"too many|rate.?limit", re.IGNORECASE)


def _shown(value: Any) -> str:
    try:
        return dumps(value)[:1000]
    except ValueError:
        return "(nested too deeply to show)"


def _excerpt(text: str) -> str:
    text = text.strip()
    return text if len(text) <= _EXCERPT else text[: _EXCERPT - 1] + "…"


def _clean(value: Any) -> str:
    """A string field with HuggingChat's ``\\u0000`` padding removed."""
    return value.replace("\u0000", "") if isinstance(value, str) else ""


def _source(raw: Any) -> Source | None:
    """A :class:`Source` from either historical shape (``link``/``uri``/``url``; snippet from
    ``context`` or ``text``); ``None`` when there is no URL."""
    if not isinstance(raw, Mapping):
        return None
    url = next((raw[k].strip() for k in ("link", "uri", "url") if isinstance(raw.get(k), str)), "")
    if not url:
        return None
    hostname = _clean(raw.get("hostname")).strip()
    if not hostname:
        try:
            hostname = urlsplit(url).hostname or ""
        except ValueError:
            hostname = ""
    snippet = next(
        (_clean(raw[k]).strip() for k in ("context", "text", "snippet") if raw.get(k)), ""
    )
    return Source(
        url=url, title=_clean(raw.get("title")).strip(), hostname=hostname, snippet=snippet
    )


class UpdateParser:
    """Incremental parser of one HuggingChat turn: :meth:`feed` it bytes (or text) as they
    arrive, in any chunking, and it returns the events completed so far; :meth:`close` at the
    end of the body checks that the turn was finished.

    Lines are split on ``\\n`` (a line or a UTF-8 character may span chunks); blank and
    whitespace-only lines are padding. A line that is not a JSON object raises
    :class:`~hf_router.errors.ConversationError`; updates of unknown types are ignored.
    Web-search sources are collected during the turn and emitted, deduplicated by URL, as one
    :class:`~hf_router.events.Sources` right before the final :class:`~hf_router.events.Finish`.
    Anything after ``finalAnswer`` is ignored.
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
        self._sources: dict[str, Source] = {}
        self._streamed: list[str] = []
        self.title: str | None = None
        self.media: list[MediaResult] = []
        self.done = False
        self.final_text: str | None = None

    # -- results ------------------------------------------------------------------------------
    @property
    def text(self) -> str:
        """The answer's text so far (the final answer's text once the turn is done)."""
        return self.final_text if self.final_text is not None else "".join(self._streamed)

    @property
    def sources(self) -> list[Source]:
        """The web-search sources collected so far, deduplicated by URL, in arrival order."""
        return list(self._sources.values())

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
        """The end of the body: parse a last unterminated line, then raise
        :class:`~hf_router.errors.ConversationError` if the turn never reached its final answer."""
        events: list[Event] = []
        if not self.done:
            events = self._line(self._lines.close())
        if not self.done:
            raise ConversationError(
                "HuggingChat's answer ended without a final answer",
                conversation_id=self.conversation_id,
                model=self.model,
                provider=PROVIDER,
                hint="The answer was cut short; retry the message (the conversation is kept).",
            )
        return events

    # -- one update ---------------------------------------------------------------------------
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
            raise self._error(
                f"HuggingChat sent a line that is not JSON: {_excerpt(self._redact(line))!r}"
            ) from None
        if not isinstance(update, dict):
            raise self._error(f"HuggingChat sent a JSON {type(update).__name__}, not an update")
        kind = update.get("type")
        if not isinstance(kind, str):
            raise self._untyped(update)
        handler = _HANDLERS.get(kind)
        return handler(self, update) if handler else []

    def _untyped(self, update: dict[str, Any]) -> HFRouterError:
        message = next(
            (update[k] for k in ("message", "error") if isinstance(update.get(k), str)), None
        )
        if message:
            return self._server_error(message)
        return self._error(
            f"HuggingChat sent an update without a type: {_excerpt(self._redact(_shown(update)))}"
        )

    def _server_error(self, message: str) -> HFRouterError:
        message = self._redact(message)
        cls = RateLimitError if _RATE_LIMIT_RE.search(message) else ProviderError
        return cls(
            "HuggingChat reported an error while answering",
            server_message=message if len(message) <= 500 else message[:499] + "…",
            model=self.model,
            provider=PROVIDER,
        )

    def _status(self, update: dict[str, Any]) -> list[Event]:
        status = update.get("status")
        message = _clean(update.get("message")).strip()
        if status == "error":
            raise self._server_error(message or "unknown error")
        if status == "title" and message:  # 2023 chat-ui sent the title as a status
            return self._title({"title": message})
        return []

    def _stream(self, update: dict[str, Any]) -> list[Event]:
        token = _clean(update.get("token"))
        if not token:
            return []
        self._streamed.append(token)
        return [TextDelta(token)]

    def _reasoning(self, update: dict[str, Any]) -> list[Event]:
        subtype = update.get("subtype")
        if subtype == "status" or (subtype is None and "status" in update):
            status = _clean(update.get("status")).strip()
            elapsed = self._clock() - self._start if self._clock else 0.0
            return [Status("Reasoning", status, elapsed)] if status else []
        token = _clean(update.get("token"))
        return [ReasoningDelta(token)] if token else []

    def _web_search(self, update: dict[str, Any]) -> list[Event]:
        raw = update.get("sources")
        if isinstance(raw, list):
            self._add_sources(raw)
        subtype = update.get("subtype", update.get("messageType"))
        message = _clean(update.get("message")).strip()
        if subtype in ("update", "error") and message:
            label = "Web search error" if subtype == "error" else "Web search"
            args = update.get("args")
            if isinstance(args, list) and args:
                message = f"{message} {' '.join(str(a) for a in args)}"
            return [Status(label, message)]
        return []

    def _add_sources(self, raw: list[Any]) -> None:
        for item in raw:
            source = _source(item)
            if source is None:
                continue
            known = self._sources.get(source.url)
            if known is None:
                self._sources[source.url] = source
            else:  # keep the first, fill what it lacks
                self._sources[source.url] = Source(
                    url=known.url,
                    title=known.title or source.title,
                    hostname=known.hostname or source.hostname,
                    snippet=known.snippet or source.snippet,
                )

    def _title(self, update: dict[str, Any]) -> list[Event]:
        title = _clean(update.get("title")).strip()
        if not title:
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

    def _final(self, update: dict[str, Any]) -> list[Event]:
        events: list[Event] = []
        streamed = "".join(self._streamed)
        final = _clean(update.get("text"))
        # Text only the final answer carries (nothing or less was streamed) is delivered too.
        if final and final.startswith(streamed) and len(final) > len(streamed):
            events.append(TextDelta(final[len(streamed) :]))
            self._streamed.append(final[len(streamed) :])
        self.final_text = final or streamed
        web = update.get("webSources")
        if isinstance(web, list):
            self._add_sources(web)
        if self._sources:
            events.append(Sources(tuple(self._sources.values())))
        reason = "interrupted" if update.get("interrupted") is True else "stop"
        events.append(Finish(reason, model=self.model))
        self.done = True
        return events


_HANDLERS: dict[str, Callable[[UpdateParser, dict[str, Any]], list[Event]]] = {
    "status": UpdateParser._status,
    "stream": UpdateParser._stream,
    "reasoning": UpdateParser._reasoning,
    "webSearch": UpdateParser._web_search,
    "title": UpdateParser._title,
    "file": UpdateParser._file,
    "finalAnswer": UpdateParser._final,
}


def message_id_from_api(body: Any) -> str | None:
    """The last message's id from the JSON API's conversation (``{"messages": [...]}``, also
    inside a superjson ``{"json": ...}`` wrapper); ``None`` when the shape is not that."""
    if isinstance(body, dict) and isinstance(body.get("json"), dict):
        body = body["json"]
    messages = body.get("messages") if isinstance(body, dict) else None
    if not isinstance(messages, list) or not messages or not isinstance(messages[-1], dict):
        return None
    message_id = messages[-1].get("id")
    return message_id if isinstance(message_id, str) and message_id else None


def _at(data: list[Any], index: Any) -> Any:
    """``data[index]`` for a devalue reference (a non-negative int; negatives are specials)."""
    if not isinstance(index, int) or isinstance(index, bool) or index < 0:
        raise TypeError("not a devalue reference")
    return data[index]


def message_id_from_data(text: str) -> str | None:
    """The last message's id from SvelteKit's ``__data.json`` (devalue-encoded: in the line
    with ``"nodes"``, ``nodes[1].data`` is a flat array; ``data[0]["messages"]`` indexes the
    list of message indices; the last message's ``"id"`` indexes the id string). ``None`` when
    it cannot be read."""
    for line in text.split("\n"):
        line = line.strip()
        if '"nodes"' not in line:
            continue
        try:
            data = loads(line)["nodes"][1]["data"]
            indices = _at(data, data[0]["messages"])
            message_id = _at(data, _at(data, indices[-1])["id"])
        except (ValueError, LookupError, TypeError):
            continue
        if isinstance(message_id, str) and message_id:
            return message_id
    return None
