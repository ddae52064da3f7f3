"""Sizes: width and height from an aspect ratio (images) or a resolution and aspect ratio
(video frames). Pure functions, no I/O."""

from __future__ import annotations

import math
import re
from typing import Literal

from ...errors import InvalidInputError

__all__ = [
    "ASPECT_RATIOS",
    "DEFAULT_ASPECT_RATIO",
    "MAX_SIDE",
    "VIDEO_SIZES",
    "parse_ratio",
    "size_for",
    "video_size",
]

DEFAULT_ASPECT_RATIO: dict[str, str] = {"image": "1:1", "video": "16:9"}

ASPECT_RATIOS: dict[str, tuple[int, int]] = {
    "1:1": (1024, 1024),
    "16:9": (1344, 768),
    "9:16": (768, 1344),
    "4:3": (1152, 896),
    "3:4": (896, 1152),
    "3:2": (1216, 832),
    "2:3": (832, 1216),
    "21:9": (1536, 640),
}
"""Width and height (multiples of 16, about one megapixel) for each named aspect ratio."""

VIDEO_SIZES: dict[str, dict[str, tuple[int, int]]] = {
    "480p": {"16:9": (832, 480), "9:16": (480, 832), "1:1": (624, 624)},
    "720p": {"16:9": (1280, 720), "9:16": (720, 1280), "1:1": (960, 960)},
    "1080p": {"16:9": (1920, 1080), "9:16": (1080, 1920), "1:1": (1440, 1440)},
}
"""Video frame sizes for the common resolutions (the sizes Wan and the video providers use)."""
_RESOLUTION_RE = re.compile(r"^\s*(\d{3,4})\s*p\s*$", re.IGNORECASE)
_RATIO_RE = re.compile(r"^\s*(\d{1,4})\s*[:x/]\s*(\d{1,4})\s*$")
MAX_SIDE = 8192
"""The largest width or height accepted (pixels)."""


def parse_ratio(aspect_ratio: str) -> tuple[int, int]:
    """``W:H`` (or ``WxH``, ``W/H``) as two whole numbers; :class:`InvalidInputError` unless
    the ratio is between 1:4 and 4:1."""
    match = _RATIO_RE.match(aspect_ratio) if isinstance(aspect_ratio, str) else None
    w, h = (int(match.group(1)), int(match.group(2))) if match else (0, 0)
    if not w or not h or not 0.25 <= w / h <= 4:
        raise InvalidInputError(
            f"aspect_ratio={aspect_ratio!r} is not a usable aspect ratio: pass 'W:H' with two "
            f"positive whole numbers between 1:4 and 4:1, such as {', '.join(ASPECT_RATIOS)}"
        )
    return w, h


def size_for(
    aspect_ratio: str | None, kind: Literal["image", "video"] = "image"
) -> tuple[int, int]:
    """Width and height for ``aspect_ratio`` (the kind's default ratio when None): the table
    :data:`ASPECT_RATIOS`, else about one megapixel at that ratio, in multiples of 16."""
    ratio = DEFAULT_ASPECT_RATIO[kind] if aspect_ratio is None else aspect_ratio
    w, h = parse_ratio(ratio)
    for name, size in ASPECT_RATIOS.items():
        a, b = map(int, name.split(":"))
        if a * h == b * w:  # the same ratio, however written
            return size
    scale = math.sqrt(1024 * 1024 / (w * h))
    return max(16, round(w * scale / 16) * 16), max(16, round(h * scale / 16) * 16)


def video_size(resolution: str | None, aspect_ratio: str | None) -> tuple[int, int]:
    """Width and height of a video frame for ``resolution`` (``480p``, ``720p``...: the height
    of a landscape frame, default 480p) and ``aspect_ratio`` (default 16:9): 480p 16:9 is
    832x480, 720p 16:9 is 1280x720 (:data:`VIDEO_SIZES`); other pairs keep the pixel count of
    the 16:9 frame at that resolution, in multiples of 16."""
    w, h = parse_ratio(DEFAULT_ASPECT_RATIO["video"] if aspect_ratio is None else aspect_ratio)
    name = (resolution or "480p").strip().lower()
    match = _RESOLUTION_RE.match(name)
    if match is None or not 144 <= int(match.group(1)) <= 4320:
        raise InvalidInputError(
            f"resolution={resolution!r} is not a video resolution: pass e.g. '480p' or '720p'"
        )
    lines = int(match.group(1))
    for ratio, size in VIDEO_SIZES.get(f"{lines}p", {}).items():
        a, b = map(int, ratio.split(":"))
        if a * h == b * w:
            return size
    area = round(lines * 16 / 9 / 16) * 16 * lines  # the 16:9 frame's pixel count
    width, height = math.sqrt(area * w / h), math.sqrt(area * h / w)
    return max(16, round(width / 16) * 16), max(16, round(height / 16) * 16)
