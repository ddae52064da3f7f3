"""The settings one media call runs with: what :class:`MediaClient` validated, handed to the
engine as plain data (so the engine never needs the client)."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from .._shared.config import RetryPolicy

__all__ = ["MediaSettings"]


@dataclass(frozen=True)
class MediaSettings:
    """Validated :class:`~hf_router.MediaClient` settings the engine reads."""

    base_url: str
    hub_url: str
    requires_token: bool
    output_dir: Path
    max_download_bytes: int
    poll_interval: float
    poll_timeout: float
    max_concurrency: int
    retry_policy: RetryPolicy
    deadline: float | None = None
