"""Small, valid media files generated in pure Python: a PNG image and an MP4 container.

Both are deterministic functions of a ``seed`` text (the prompt), so tests can compare bytes.
"""

from __future__ import annotations

import hashlib
import struct
import zlib

__all__ = ["MAX_SIDE", "mp4", "png", "scaled_size"]

MAX_SIDE = 64  # generated images are at most this many pixels on their longer side


def scaled_size(width: int | None, height: int | None, limit: int = MAX_SIDE) -> tuple[int, int]:
    """``width`` x ``height`` scaled down (keeping the aspect ratio) to at most ``limit`` pixels
    on the longer side; a missing or non-positive dimension means square."""
    w = width if isinstance(width, int) and width > 0 else 0
    h = height if isinstance(height, int) and height > 0 else 0
    if not w and not h:
        return limit, limit
    w, h = w or h, h or w
    factor = min(1.0, limit / max(w, h))
    return max(1, round(w * factor)), max(1, round(h * factor))


def _chunk(kind: bytes, data: bytes) -> bytes:
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)


def png(seed: str, width: int = MAX_SIDE, height: int = MAX_SIDE) -> bytes:
    """An 8-bit RGB PNG of ``width`` x ``height`` with a colour pattern derived from ``seed``."""
    digest = hashlib.sha256(seed.encode()).digest()
    red, green, blue, step = digest[0], digest[1], digest[2], 1 + digest[3] % 7
    rows = bytearray()
    for y in range(height):
        rows.append(0)  # filter type: none
        for x in range(width):
            rows += bytes(
                ((red + x * step) & 0xFF, (green + y * step) & 0xFF, (blue ^ ((x ^ y) * 4)) & 0xFF)
            )
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _chunk(b"IHDR", header)
        + _chunk(b"tEXt", b"Comment\x00hf-router emulator")
        + _chunk(b"IDAT", zlib.compress(bytes(rows), 9))
        + _chunk(b"IEND", b"")
    )


def _box(kind: bytes, payload: bytes) -> bytes:
    return struct.pack(">I", 8 + len(payload)) + kind + payload


def _full_box(kind: bytes, version: int, payload: bytes) -> bytes:
    return _box(kind, struct.pack(">I", version << 24) + payload)


_MATRIX = struct.pack(">9I", 0x10000, 0, 0, 0, 0x10000, 0, 0, 0, 0x40000000)


def mp4(seed: str, width: int = MAX_SIDE, height: int = 36, duration_ms: int = 1000) -> bytes:
    """A minimal MP4 container: ``ftyp``, ``moov`` (``mvhd`` and one ``trak`` with ``tkhd``)
    and an ``mdat`` whose bytes derive from ``seed``. Bytes 4..8 are ``ftyp``."""
    ftyp = _box(b"ftyp", b"isom" + struct.pack(">I", 0x200) + b"isomiso2avc1mp41")
    mvhd = _full_box(
        b"mvhd",
        0,
        struct.pack(">IIII", 0, 0, 1000, duration_ms)
        + struct.pack(">IH", 0x10000, 0x100)
        + bytes(10)
        + _MATRIX
        + bytes(24)
        + struct.pack(">I", 2),
    )
    tkhd = _box(
        b"tkhd",
        struct.pack(">I", 3)  # version 0, flags: enabled | in movie
        + struct.pack(">IIIII", 0, 0, 1, 0, duration_ms)
        + bytes(8)
        + struct.pack(">hhhH", 0, 0, 0, 0)
        + _MATRIX
        + struct.pack(">II", width << 16, height << 16),
    )
    moov = _box(b"moov", mvhd + _box(b"trak", tkhd))
    digest = hashlib.sha256(seed.encode()).digest()
    return ftyp + moov + _box(b"mdat", digest * 8)
