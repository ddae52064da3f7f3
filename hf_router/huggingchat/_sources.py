"""Web sources and images found in HuggingChat's answers, with no I/O: the 2023/2024
``webSearch`` source dicts, the outputs of MCP tool results (``structured`` results, ``content``
blocks, Exa's ``Title:``/``URL:`` text) and markdown links/images in text.

See ``docs/huggingchat-protocol.md`` for the shapes.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any
from urllib.parse import urlsplit

from ..events import Source

__all__ = [
    "SourceSet",
    "clean",
    "markdown_images",
    "markdown_sources",
    "source_from_dict",
    "tool_output_sources",
    "tool_output_text",
]

_SNIPPET_MAX = 1000
_LINK_RE = re.compile(r"(!?)\[([^\[\]\n]*)\]\((https?://[^\s()<>]+(?:\([^\s()<>]*\)[^\s()<>]*)*)\)")
_FIELD_RE = re.compile(
    r"^(Title|URL|Published|Author|Highlights|Text|Summary|Code/Highlights):\s?(.*)$"
)
_SEPARATOR_RE = re.compile(r"^-{3,}\s*$")
_META_FIELDS = frozenset({"Published", "Author"})


def clean(value: Any) -> str:
    """A string field with HuggingChat's ``\\u0000`` padding removed ('' for a non-string)."""
    return value.replace("\u0000", "") if isinstance(value, str) else ""


def _hostname(url: str) -> str:
    try:
        return urlsplit(url).hostname or ""
    except ValueError:
        return ""


def _is_web_url(url: str) -> bool:
    return url.startswith(("http://", "https://")) and bool(_hostname(url))


def _make(url: str, title: str = "", snippet: str = "", hostname: str = "") -> Source | None:
    url = url.strip()
    if not _is_web_url(url):
        return None
    snippet = " ".join(snippet.split())
    if len(snippet) > _SNIPPET_MAX:
        snippet = snippet[: _SNIPPET_MAX - 1] + "…"
    title = title.strip()
    return Source(
        url=url,
        title="" if title == "N/A" else title,
        hostname=hostname.strip() or _hostname(url),
        snippet=snippet,
    )


def source_from_dict(raw: Any) -> Source | None:
    """A :class:`Source` from a dict of any known shape (``link``/``uri``/``url``; snippet from
    ``context``, ``text``, ``snippet``, ``highlights`` or ``summary``); ``None`` without a URL."""
    if not isinstance(raw, Mapping):
        return None
    url = next((clean(raw[k]) for k in ("link", "uri", "url") if isinstance(raw.get(k), str)), "")
    snippet = ""
    for key in ("context", "text", "snippet", "highlights", "summary", "description"):
        value = raw.get(key)
        if isinstance(value, list):
            value = " ".join(v for v in value if isinstance(v, str))
        if isinstance(value, str) and value.strip():
            snippet = clean(value)
            break
    title = clean(raw.get("title")) or clean(raw.get("name"))
    return _make(url, title, snippet, clean(raw.get("hostname")))


def markdown_sources(text: str) -> list[Source]:
    """``[title](https://...)`` links of ``text`` (not images) as sources."""
    return [
        s
        for bang, label, url in _LINK_RE.findall(text)
        if not bang and (s := _make(url, label)) is not None
    ]


def markdown_images(text: str) -> list[str]:
    """The URLs of ``![alt](https://...)`` images in ``text``, in order."""
    return [url for bang, _, url in _LINK_RE.findall(text) if bang]


def _text_sources(text: str) -> list[Source]:
    """Exa-style records (``Title:``, ``URL:``, then highlights/text until the next record or
    ``---``), then markdown links."""
    found: list[Source] = []
    title, url, snippet = "", "", []
    in_record = False

    def close() -> None:
        if url and (source := _make(url, title, "\n".join(snippet))) is not None:
            found.append(source)

    for line in text.splitlines():
        match = _FIELD_RE.match(line.strip())
        if _SEPARATOR_RE.match(line):
            close()
            title, url, snippet, in_record = "", "", [], False
        elif match and match.group(1) == "Title":
            if url:
                close()
                url, snippet = "", []
            title, in_record = match.group(2), True
        elif match and match.group(1) == "URL":
            if url:
                close()
                title, snippet = "", []
            url, in_record = match.group(2).strip(), True
        elif match and match.group(1) in _META_FIELDS:
            continue
        elif match:
            if match.group(2).strip():
                snippet.append(match.group(2))
        elif in_record and url and line.strip():
            snippet.append(line)
    close()
    return found + markdown_sources(text)


def _structured_sources(structured: Any) -> list[Source]:
    items: Any = structured
    if isinstance(structured, Mapping):
        items = next(
            (
                structured[k]
                for k in ("results", "sources", "items")
                if isinstance(structured.get(k), list)
            ),
            [structured],
        )
    if not isinstance(items, list):
        return []
    return [s for item in items if (s := source_from_dict(item)) is not None]


def _block_sources(block: Any) -> list[Source]:
    if not isinstance(block, Mapping):
        return []
    kind = block.get("type")
    if kind == "text":
        return _text_sources(clean(block.get("text")))
    if kind == "resource_link":
        return [s for s in [source_from_dict(block)] if s is not None]
    if kind == "resource" and isinstance(block.get("resource"), Mapping):
        return [s for s in [source_from_dict(block["resource"])] if s is not None]
    return []


def tool_output_sources(outputs: Any) -> list[Source]:
    """The sources in a ``tool`` result's ``outputs`` (``[{"text", "structured", "content"}]``):
    structured results first, then content blocks, then the joined text."""
    found: list[Source] = []
    for output in outputs if isinstance(outputs, list) else []:
        if not isinstance(output, Mapping):
            continue
        found.extend(_structured_sources(output.get("structured")))
        for block in output.get("content") if isinstance(output.get("content"), list) else []:
            found.extend(_block_sources(block))
        found.extend(_text_sources(clean(output.get("text"))))
    return found


def tool_output_text(outputs: Any) -> str:
    """The text of a ``tool`` result's ``outputs`` (for markdown images and previews)."""
    parts = []
    for output in outputs if isinstance(outputs, list) else []:
        if isinstance(output, Mapping):
            parts.append(clean(output.get("text")))
    return "\n".join(p for p in parts if p)


class SourceSet:
    """Sources deduplicated by URL in arrival order; a later sighting fills what the first
    lacked (title, hostname, snippet)."""

    def __init__(self) -> None:
        self._by_url: dict[str, Source] = {}

    def __bool__(self) -> bool:
        return bool(self._by_url)

    def add(self, sources: Iterable[Source | None]) -> None:
        """Add (or complete) each source."""
        for source in sources:
            if source is None:
                continue
            known = self._by_url.get(source.url)
            if known is None:
                self._by_url[source.url] = source
            else:
                self._by_url[source.url] = Source(
                    url=known.url,
                    title=known.title or source.title,
                    hostname=known.hostname or source.hostname,
                    snippet=known.snippet or source.snippet,
                )

    def all(self) -> list[Source]:
        """Every source, in arrival order."""
        return list(self._by_url.values())
