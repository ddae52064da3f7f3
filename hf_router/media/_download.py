"""Saving generated media: streamed downloads with a size cap, base64 and ``data:``
decoding, and safe generated file names.

Every URL and redirect hop is checked by the URL policy (:mod:`hf_router.media._urls`)
before anything is requested. Redirects are followed by hand, each hop checked the same way. The token is only
sent to the router's origin. Files are named ``<kind>-<UTC timestamp>-<random>.<ext>``, never
from a server-supplied name, with the extension from the sniffed content type; a download
over the cap is a :class:`~hf_router.errors.DownloadTooLargeError` and leaves no partial file.
"""

from __future__ import annotations

import os
import secrets
import struct
import time
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urljoin

import httpx

from .._redact import SafeHeaders
from .._shared.http import transport_error
from .._shared.messages import sniff_mime
from ..errors import DownloadError, DownloadTooLargeError, HFRouterError
from ._urls import acheck_host, check_url, is_router_url, shown
from .providers._base import decode_base64

__all__ = [
    "DEFAULT_MAX_DOWNLOAD_BYTES",
    "EXTENSIONS",
    "MediaWriter",
    "SavedFile",
    "acheck_host",
    "adownload",
    "check_url",
    "decode_base64",
    "default_output_dir",
    "image_size",
    "is_router_url",
    "read_capped",
    "safe_name",
    "save_bytes",
]

DEFAULT_MAX_DOWNLOAD_BYTES = 200 * 1024 * 1024
MAX_REDIRECTS = 5
EXTENSIONS: dict[str, str] = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/webp": ".webp",
    "image/gif": ".gif",
    "image/bmp": ".bmp",
    "video/mp4": ".mp4",
    "video/webm": ".webm",
    "video/quicktime": ".mov",
}
"""File extension for each media type we save."""


_HEAD = 64 * 1024  # enough of a file's start to sniff its type and read an image's size


@dataclass(frozen=True, slots=True)
class SavedFile:
    """A saved file: its path, sniffed media type and, for images, the size read from it."""

    path: Path
    mime: str
    width: int | None = None
    height: int | None = None


def image_size(head: bytes) -> tuple[int, int] | None:
    """Width and height from the start of a PNG, GIF, WebP or JPEG file (None if unknown)."""
    try:
        if head.startswith(b"\x89PNG") and head[12:16] == b"IHDR":
            return struct.unpack(">II", head[16:24])
        if head[:6] in (b"GIF87a", b"GIF89a"):
            return struct.unpack("<HH", head[6:10])
        if head[:4] == b"RIFF" and head[8:12] == b"WEBP":
            chunk = head[12:16]
            if chunk == b"VP8X":
                w, h = int.from_bytes(head[24:27], "little"), int.from_bytes(head[27:30], "little")
                return w + 1, h + 1
            if chunk == b"VP8L":
                bits = int.from_bytes(head[21:25], "little")
                return (bits & 0x3FFF) + 1, ((bits >> 14) & 0x3FFF) + 1
            if chunk == b"VP8 ":
                w, h = struct.unpack("<HH", head[26:30])
                return w & 0x3FFF, h & 0x3FFF
        if head[:2] == b"\xff\xd8":
            i = 2
            while i + 9 < len(head) and head[i] == 0xFF:
                marker, length = head[i + 1], struct.unpack(">H", head[i + 2 : i + 4])[0]
                if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                    h, w = struct.unpack(">HH", head[i + 5 : i + 9])
                    return w, h
                i += 2 + length
    except struct.error:
        return None
    return None


def default_output_dir() -> Path:
    """The per-user default: ``$XDG_CACHE_HOME/hf-router/media`` (``~/.cache/...``)."""
    cache = os.environ.get("XDG_CACHE_HOME") or os.path.join("~", ".cache")
    return Path(cache).expanduser() / "hf-router" / "media"


def safe_name(kind: str, mime: str) -> str:
    """``<kind>-<YYYYmmdd-HHMMSS>-<random>.<ext>`` (UTC), the extension from ``mime``."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.gmtime())
    return f"{kind}-{stamp}-{secrets.token_hex(4)}{EXTENSIONS.get(mime, '.bin')}"


def _media_mime(head: bytes, declared: str | None, kind: str) -> str:
    """The file's type from its magic bytes. A declared type is never trusted alone: bytes
    that are no known image or video, or whose kind (image/video) is not the declared one,
    are refused."""
    sniffed = sniff_mime(head)
    declared = (declared or "").split(";")[0].strip().lower()
    if sniffed in EXTENSIONS:
        if declared in EXTENSIONS and declared.split("/")[0] != sniffed.split("/")[0]:
            raise DownloadError(
                f"The generated {kind} was declared {declared} but its bytes are {sniffed}",
                hint="The provider's answer is inconsistent; nothing was saved. Retry or pick "
                "another provider.",
            )
        return sniffed
    looks = _describe(head) or "no known image or video format"
    raise DownloadError(
        f"The generated {kind} is not an image or video file (declared "
        f"{declared or 'nothing'}, its bytes look like {looks}); nothing was saved",
        hint="The provider returned something else than media; retry or pick another provider.",
    )


def _describe(head: bytes) -> str:
    start = head[:64].lstrip().lower()
    if start.startswith((b"<!doctype html", b"<html")) or b"<html" in head[:512].lower():
        return "an HTML page"
    if start[:1] in (b"{", b"["):
        return "JSON"
    return ""


class MediaWriter:
    """Writes one file under ``directory`` chunk by chunk, enforcing ``limit`` bytes. The data
    goes to a hidden temporary file that becomes ``<kind>-...<ext>`` on :meth:`finish`; any
    failure removes it."""

    def __init__(self, directory: Path, kind: str, limit: int, *, url: str | None = None) -> None:
        directory.mkdir(parents=True, exist_ok=True, mode=0o700)
        self.directory, self.kind, self.limit, self.url = directory, kind, limit, url
        self.size = 0
        self._head = b""
        self._tmp = directory / f".{kind}-{secrets.token_hex(8)}.part"
        self._fd: int | None = os.open(self._tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)

    def __enter__(self) -> MediaWriter:
        return self

    def __exit__(self, exc_type: type[BaseException] | None, *exc: object) -> None:
        """Any failure while writing (cancellation included) removes the partial file."""
        if exc_type is not None:
            self.abort()

    def write(self, chunk: bytes) -> None:
        """Append ``chunk``; over the limit the partial file is removed and
        :class:`DownloadTooLargeError` raised."""
        self.size += len(chunk)
        if self.size > self.limit:
            self.abort()
            raise DownloadTooLargeError(
                f"The generated {self.kind} is larger than the limit of {self.limit} bytes; "
                "the partial file was removed",
                limit=self.limit,
                url=self.url,
            )
        if len(self._head) < _HEAD:
            self._head += chunk[: _HEAD - len(self._head)]
        view = memoryview(chunk)
        while view and self._fd is not None:
            view = view[os.write(self._fd, view) :]

    def finish(self, declared_mime: str | None = None) -> SavedFile:
        """Close the file and give it its final name."""
        try:
            if self.size == 0:
                raise DownloadError(f"The generated {self.kind} is empty", url=self.url)
            mime = _media_mime(self._head, declared_mime, self.kind)
        except HFRouterError:
            self.abort()
            raise
        assert self._fd is not None
        os.close(self._fd)
        self._fd = None
        for _ in range(10):
            path = self.directory / safe_name(self.kind, mime)
            try:
                os.link(self._tmp, path)  # never overwrites an existing file
            except FileExistsError:
                continue
            except OSError:
                if path.exists():
                    continue
                os.replace(self._tmp, path)
                return self._saved(path, mime)
            self._tmp.unlink()
            return self._saved(path, mime)
        self.abort()
        raise DownloadError(f"Could not find a free file name in {self.directory}")

    def _saved(self, path: Path, mime: str) -> SavedFile:
        size = image_size(self._head) if mime.startswith("image/") else None
        return SavedFile(path, mime, *(size or (None, None)))

    def abort(self) -> None:
        """Close and remove the temporary file (idempotent)."""
        if self._fd is not None:
            os.close(self._fd)
            self._fd = None
        self._tmp.unlink(missing_ok=True)


def _too_large(
    kind: str, size: int | str, limit: int, url: str | None = None
) -> DownloadTooLargeError:
    """The error for a file known to be over ``limit`` before anything was written."""
    return DownloadTooLargeError(
        f"The generated {kind} is {size} bytes, over the limit of {limit}; nothing was saved",
        limit=limit,
        url=url,
    )


def save_bytes(
    data: bytes, directory: Path, kind: str, limit: int, declared_mime: str | None = None
) -> SavedFile:
    """Save media already in memory (raw bytes or decoded base64)."""
    if len(data) > limit:
        raise _too_large(kind, len(data), limit)
    with MediaWriter(directory, kind, limit) as writer:
        writer.write(data)
    return writer.finish(declared_mime)


async def adownload(
    client: httpx.AsyncClient,
    url: str,
    *,
    router_url: str,
    auth_headers: Mapping[str, str],
    directory: Path,
    kind: str,
    limit: int,
    provider: str | None = None,
) -> SavedFile:
    """Fetch ``url`` (after :func:`check_url`) into ``directory``, streamed, with the size
    cap; ``auth_headers`` (the token) are only sent to the router's origin."""
    check_url(url, router_url)
    if url.startswith("data:"):
        data, mime = decode_base64(url)
        return save_bytes(data, directory, kind, limit, mime)
    for _ in range(MAX_REDIRECTS + 1):
        await acheck_host(url, router_url)
        headers = SafeHeaders(auth_headers) if is_router_url(url, router_url) else {}
        try:
            async with client.stream("GET", url, headers=headers) as response:
                if response.is_redirect and "location" in response.headers:
                    url = urljoin(url, response.headers["location"])
                    check_url(url, router_url)
                    continue
                if response.status_code >= 400:
                    raise DownloadError(
                        f"Downloading the generated {kind} failed with HTTP {response.status_code}",
                        url=shown(url),
                        status_code=response.status_code,
                        provider=provider,
                    )
                declared = response.headers.get("content-type")
                length = response.headers.get("content-length", "")
                if length.isdigit() and int(length) > limit:
                    raise _too_large(kind, length, limit, url=shown(url))
                with MediaWriter(directory, kind, limit, url=shown(url)) as writer:
                    async for chunk in response.aiter_bytes():
                        writer.write(chunk)
                return writer.finish(declared)
        except httpx.HTTPError as exc:
            raise transport_error(exc, provider=provider) from None
    raise DownloadError(f"Too many redirects while downloading {shown(url)!r}", url=shown(url))


async def read_capped(response: httpx.Response, limit: int, *, shown_limit: int) -> bytes:
    """The whole body of a streamed ``response``, refusing (:class:`DownloadTooLargeError`,
    reporting ``shown_limit``) more than ``limit`` bytes."""
    too_large = DownloadTooLargeError(
        f"The answer is larger than the limit of {shown_limit} bytes; nothing was saved",
        limit=shown_limit,
    )
    length = response.headers.get("content-length", "")
    if length.isdigit() and int(length) > limit:
        raise too_large
    parts: list[bytes] = []
    size = 0
    async for chunk in response.aiter_bytes():
        size += len(chunk)
        if size > limit:
            raise too_large
        parts.append(chunk)
    return b"".join(parts)
