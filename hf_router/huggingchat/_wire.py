"""The request side of HuggingChat's web protocol: the :class:`Conversation` state, the session
cookie, the ``inputs`` text, uploaded media and the multipart body of a message.

See ``docs/huggingchat-protocol.md`` for the wire format.
"""

from __future__ import annotations

import base64
import binascii
import json
import mimetypes
import os
import re
import secrets
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import unquote_to_bytes

from .._shared.checks import check_model_arg
from .._shared.config import Secret
from .._shared.messages import prepare_messages, sniff_mime
from ..errors import InvalidInputError
from ..events import Event, Source, Sources, TextDelta, Title

__all__ = [
    "COOKIE_NAME",
    "DEFAULT_CHAT_MODEL",
    "ENV_CHAT_COOKIE",
    "TOKEN_COOKIE_NAME",
    "Conversation",
    "SearchResult",
    "Turn",
    "check_id",
    "format_prompt",
    "last_user_message",
    "media_files",
    "message_images",
    "multipart_body",
    "plan_turn",
    "resolve_cookies",
    "search_result",
]

DEFAULT_CHAT_MODEL = "omni"
"""HuggingChat's router alias, its default model since chat-ui 2d549953e (2025-09-24)."""
ENV_CHAT_COOKIE = "HF_CHAT_COOKIE"
COOKIE_NAME = "hf-chat"
TOKEN_COOKIE_NAME = "token"
"""huggingface.co's login cookie; since 2025-10-14 HuggingChat's session is coupled to it."""
_ID_RE = re.compile(r"^[A-Za-z0-9_-]{1,128}$")
_UNSAFE_NAME_RE = re.compile(r"[^A-Za-z0-9._ -]")


def check_id(conversation_id: Any) -> str:
    """``conversation_id`` if it is safe in a URL path (it comes from servers and saved JSON)."""
    if not isinstance(conversation_id, str) or not _ID_RE.match(conversation_id):
        raise InvalidInputError(
            f"{str(conversation_id)[:40]!r} is not a HuggingChat conversation id "
            "(letters, digits, '-' and '_' only)"
        )
    return conversation_id


_STATE_KEYS = ("conversation_id", "message_id", "turns", "title")


@dataclass
class Conversation:
    """A HuggingChat conversation: the current ``model``, its ``conversation_id``, the
    ``message_id`` the next message answers (the parent), the number of finished ``turns`` and
    the ``title``; ``others`` keeps the same state for the other models this object has talked
    to (as the seed's ``models`` dict: one object can hold several models, see :meth:`switch`).

    The client updates it in place after each turn. :meth:`to_json` / :meth:`from_json` let it
    survive a process restart; it never holds the cookie.
    """

    model: str
    conversation_id: str
    message_id: str | None = None
    turns: int = 0
    title: str | None = None
    others: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        check_id(self.conversation_id)
        if not isinstance(self.model, str) or not self.model:
            raise InvalidInputError("Conversation.model must be a model id")

    @property
    def models(self) -> dict[str, dict[str, str | None]]:
        """The seed's view: ``{model: {"conversationId", "messageId"}}`` for every model."""
        out = {
            model: {"conversationId": state["conversation_id"], "messageId": state["message_id"]}
            for model, state in self.others.items()
        }
        out[self.model] = {"conversationId": self.conversation_id, "messageId": self.message_id}
        return out

    def _state(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in _STATE_KEYS}

    def switch(self, model: str) -> bool:
        """Make ``model`` the current one if this object already holds a conversation with it
        (the current one is kept in :attr:`others`); False when it does not."""
        if model == self.model:
            return True
        state = self.others.pop(model, None)
        if state is None:
            return False
        self.others[self.model] = self._state()
        self.model = model
        for key in _STATE_KEYS:
            setattr(self, key, state[key])
        return True

    def adopt(self, other: Conversation) -> None:
        """Add ``other`` (a new conversation with another model) and make it the current one."""
        if other.model != self.model:
            self.others[self.model] = self._state()
        self.others.pop(other.model, None)
        self.model = other.model
        for key in _STATE_KEYS:
            setattr(self, key, getattr(other, key))

    def to_json(self) -> str:
        """This conversation as a JSON string (see :meth:`from_json`)."""
        return json.dumps({"hf_router": "huggingchat.conversation", "version": 1, **asdict(self)})

    @classmethod
    def from_json(cls, data: str | bytes | Mapping[str, Any]) -> Conversation:
        """A conversation saved by :meth:`to_json` (a JSON string or the decoded dict)."""
        try:
            raw = json.loads(data) if isinstance(data, (str, bytes)) else dict(data)
        except (ValueError, TypeError):
            raise InvalidInputError("Conversation.from_json needs the JSON of to_json()") from None
        if not isinstance(raw, dict) or not isinstance(raw.get("conversation_id"), str):
            raise InvalidInputError("Conversation.from_json: no 'conversation_id' in the JSON")
        others: dict[str, dict[str, Any]] = {}
        raw_others = raw.get("others")
        for model, state in (raw_others if isinstance(raw_others, dict) else {}).items():
            if isinstance(state, dict) and isinstance(state.get("conversation_id"), str):
                other = cls._from_state(str(model), state)
                others[other.model] = other._state()
        found = cls._from_state(str(raw.get("model") or ""), raw)
        found.others = others
        return found

    @classmethod
    def _from_state(cls, model: str, raw: Mapping[str, Any]) -> Conversation:
        message_id, title, turns = raw.get("message_id"), raw.get("title"), raw.get("turns", 0)
        return cls(
            model=model,
            conversation_id=raw["conversation_id"],
            message_id=message_id if isinstance(message_id, str) else None,
            turns=turns if isinstance(turns, int) and turns >= 0 else 0,
            title=title if isinstance(title, str) else None,
        )


@dataclass
class SearchResult:
    """The answer of a web-search turn, its ``sources``, the ``conversation`` (to continue) and
    the conversation's ``title`` when HuggingChat generated one."""

    answer: str
    sources: list[Source]
    conversation: Conversation
    title: str | None = None


def _parse_cookie_header(header: str) -> dict[str, str]:
    header = re.sub(r"^\s*cookie\s*:", "", header, flags=re.IGNORECASE)
    out: dict[str, str] = {}
    for part in header.split(";"):
        name, sep, value = part.partition("=")
        if sep and name.strip():
            out[name.strip()] = value.strip()
    return out


def resolve_cookies(cookies: Mapping[str, str] | None, cookie_header: str | None) -> dict[str, str]:
    """The cookies to send: ``cookies``, else ``cookie_header``, else ``HF_CHAT_COOKIE`` (a bare
    ``hf-chat`` value or a Cookie header)."""
    if cookies is not None and not isinstance(cookies, Mapping):
        raise InvalidInputError(
            f"cookies must be a dict such as {{'hf-chat': '...'}}, not {type(cookies).__name__}"
        )
    if cookie_header is not None and not isinstance(cookie_header, str):
        raise InvalidInputError(
            f"cookie_header must be a Cookie header string such as 'hf-chat=...', not "
            f"{type(cookie_header).__name__}"
        )
    if cookies is not None:
        found = {
            str(k): v.get_secret_value() if isinstance(v, Secret) else str(v)
            for k, v in cookies.items()
        }
    elif cookie_header is not None:
        found = _parse_cookie_header(cookie_header)
    else:
        env = os.environ.get(ENV_CHAT_COOKIE, "").strip()
        if f"{COOKIE_NAME}=" in env or ";" in env:
            found = _parse_cookie_header(env)
        else:
            found = {COOKIE_NAME: env} if env else {}
    for name, value in found.items():
        if any(c in name + value for c in "\r\n\0;") or any(c in name for c in " =,"):
            raise InvalidInputError(f"The cookie {name[:40]!r} has characters a cookie cannot hold")
    return {k: v for k, v in found.items() if v}


def _text_of(content: Any) -> str:
    if isinstance(content, str):
        return content
    parts = []
    for part in content or []:
        if isinstance(part, str):
            parts.append(part)
        elif isinstance(part, Mapping) and isinstance(part.get("text"), str):
            parts.append(part["text"])
    return "\n".join(parts)


def format_prompt(messages: Sequence[Mapping[str, Any]]) -> str:
    """The first turn's ``inputs`` (seed ``format_prompt``): ``Role: content`` lines ending with
    ``Assistant:``; a lone message is sent as its bare content."""
    if len(messages) == 1:
        return _text_of(messages[0].get("content"))
    lines = [
        f"{str(m['role']).capitalize()}: {text}"
        for m in messages
        if (text := _text_of(m.get("content")))
    ]
    return "\n".join([*lines, "Assistant:"])


def last_user_message(messages: Sequence[Mapping[str, Any]]) -> str:
    """A later turn's ``inputs`` (seed): the trailing run of user messages, joined."""
    found: list[str] = []
    for message in reversed(messages):
        if message.get("role") == "user":
            found.append(_text_of(message.get("content")))
        elif found:
            break
    if not found:
        raise InvalidInputError("messages has no user message to send to HuggingChat")
    return "\n".join(reversed(found))


def _media_bytes(item: Any, index: int) -> tuple[bytes, str | None]:
    name: str | None = None
    if isinstance(item, tuple) and len(item) == 2:
        item, name = item
    if isinstance(item, (bytes, bytearray, memoryview)):
        return bytes(item), name
    if isinstance(item, str) and item.startswith("data:"):
        meta, _, payload = item.partition(",")
        try:
            if meta.endswith(";base64"):
                return base64.b64decode(payload, validate=True), name
            return unquote_to_bytes(payload), name
        except (binascii.Error, ValueError):
            raise InvalidInputError(f"media[{index}] is a data URI that does not decode") from None
    if isinstance(item, str) and item.startswith(("http://", "https://")):
        raise InvalidInputError(
            f"media[{index}] is a URL; HuggingChat needs the file itself (pass bytes or a path)"
        )
    if isinstance(item, (str, Path)):
        path = Path(item).expanduser()
        if not path.is_file():
            raise InvalidInputError(f"media[{index}] is not an existing file: {str(item)[:80]!r}")
        return path.read_bytes(), name or path.name
    raise InvalidInputError(
        f"media[{index}] has type {type(item).__name__}; pass bytes, a file path, a data URI "
        "or a (media, filename) tuple"
    )


def media_files(media: Sequence[Any] | None) -> list[tuple[str, str, bytes]]:
    """``(safe file name, mime type, base64 bytes)`` for each media item."""
    if media is None:
        return []
    if isinstance(media, (bytes, bytearray, str, Path)):
        media = [media]
    out = []
    for i, item in enumerate(media):
        data, name = _media_bytes(item, i)
        if not data:
            raise InvalidInputError(f"media[{i}] is empty")
        mime = sniff_mime(data, name)
        safe = _UNSAFE_NAME_RE.sub("_", Path(name).name if name else "")[:100].strip(" .")
        safe = safe or f"file{i}{mimetypes.guess_extension(mime) or ''}"
        out.append((safe, mime, base64.b64encode(data)))
    return out


def multipart_body(
    data: Mapping[str, Any], files: Sequence[tuple[str, str, bytes]]
) -> tuple[bytes, str]:
    """The ask request's multipart body (a ``data`` JSON part, then ``files`` parts named
    ``base64;NAME``) and its content type."""
    boundary = f"hfrouter{secrets.token_hex(16)}"
    body = bytearray()
    body += f'--{boundary}\r\nContent-Disposition: form-data; name="data"\r\n\r\n'.encode()
    body += json.dumps(data, separators=(",", ":")).encode() + b"\r\n"
    for name, mime, encoded in files:
        body += (
            f'--{boundary}\r\nContent-Disposition: form-data; name="files"; '
            f'filename="base64;{name}"\r\nContent-Type: {mime}\r\n\r\n'
        ).encode()
        body += encoded + b"\r\n"
    body += f"--{boundary}--\r\n".encode()
    return bytes(body), f"multipart/form-data; boundary={boundary}"


@dataclass
class Turn:
    """What one message sends: the model, ``inputs`` for a first and for a later turn, the
    files."""

    model: str
    first_inputs: str
    later_inputs: str
    files: list[tuple[str, str, bytes]]


def check_ask_options(web_search: Any, tools: Any) -> None:
    """``web_search`` must be a bool and ``tools`` a list of tool-id strings."""
    if not isinstance(web_search, bool):
        raise InvalidInputError(f"web_search={web_search!r} must be True or False")
    if isinstance(tools, str) or not isinstance(tools, (list, tuple)):
        raise InvalidInputError(
            f"tools must be a list of HuggingChat tool ids (strings), not {type(tools).__name__}"
        )
    for i, tool in enumerate(tools):
        if not isinstance(tool, str) or not tool.strip():
            raise InvalidInputError(f"tools[{i}]={tool!r} must be a non-empty tool id string")


def check_query(query: Any) -> None:
    """A web-search query: a non-empty string."""
    if not isinstance(query, str) or not query.strip():
        raise InvalidInputError(
            f"query={query!r} must be a non-empty string, e.g. 'latest Python release'"
        )


def plan_turn(
    model: str | None,
    messages: Any,
    media: Any,
    conversation: Conversation | None,
    default_model: str,
) -> Turn:
    """Validate the arguments of an ask (nothing is sent) and prepare its parts."""
    check_model_arg(model)
    if conversation is not None and not isinstance(conversation, Conversation):
        raise InvalidInputError(
            f"conversation must be a Conversation (from an earlier ask or "
            f"Conversation.from_json), or None; not {type(conversation).__name__}"
        )
    model = model or (conversation.model if conversation else default_model)
    if conversation is not None and conversation.model != model:
        raise InvalidInputError(
            f"The conversation is with {conversation.model!r}, not {model!r}; pass "
            "conversation=None to start one with this model"
        )
    wire = prepare_messages(messages)
    files = media_files([*message_images(wire), *_as_list(media)])
    return Turn(model, format_prompt(wire), last_user_message(wire), files)


def _as_list(media: Any) -> list[Any]:
    if media is None:
        return []
    if isinstance(media, (bytes, bytearray, str, Path)):
        return [media]
    if isinstance(media, tuple) and len(media) == 2 and isinstance(media[0], (bytes, bytearray)):
        return [media]
    return list(media)


def message_images(messages: Sequence[Mapping[str, Any]]) -> list[Any]:
    """The images inside the trailing user messages (``image_url`` parts), uploaded as files
    like ``media`` (seed ``merge_media``): ``data:`` URIs and file paths."""
    found: list[Any] = []
    for message in reversed(messages):
        if message.get("role") != "user":
            break
        content = message.get("content")
        parts = content if isinstance(content, list) else []
        for part in reversed(parts):
            if not isinstance(part, Mapping) or part.get("type") != "image_url":
                continue
            image = part.get("image_url")
            url = image.get("url") if isinstance(image, Mapping) else image
            if isinstance(url, str) and url:
                found.append(url)
    return list(reversed(found))


def search_result(items: Sequence[Event | Conversation], answer: str | None = None) -> SearchResult:
    """A :class:`SearchResult` from the items of one ask; ``answer`` is the final answer's
    text (else the streamed text)."""
    conversation = next(i for i in items if isinstance(i, Conversation))
    sources = next((list(i.sources) for i in items if isinstance(i, Sources)), [])
    title = next((i.text for i in items if isinstance(i, Title)), conversation.title)
    if answer is None:
        answer = "".join(i.text for i in items if isinstance(i, TextDelta))
    return SearchResult(answer, sources, conversation, title)
