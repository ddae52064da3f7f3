"""Defaults, environment variables and token discovery."""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from .._redact import register_secret
from ..errors import InvalidInputError
from .checks import check_url

__all__ = [
    "DEFAULT_BASE_URL",
    "DEFAULT_CHAT_URL",
    "DEFAULT_HUB_URL",
    "RetryPolicy",
    "Secret",
    "find_token",
    "is_hf_router",
    "resolve_base_url",
    "resolve_hub_url",
]

DEFAULT_BASE_URL = "https://router.huggingface.co/v1"
DEFAULT_HUB_URL = "https://huggingface.co"
DEFAULT_CHAT_URL = "https://huggingface.co/chat"

ENV_BASE_URL = "HF_ROUTER_BASE_URL"
ENV_HUB_URL = "HF_ENDPOINT"
ENV_CHAT_URL = "HF_CHAT_BASE_URL"
TOKEN_ENV_VARS = ("HF_TOKEN", "HUGGING_FACE_HUB_TOKEN")

DEFAULT_TIMEOUT = 120.0
# No cap by default: ``max_tokens=None`` sends no ``max_tokens`` and the provider's own limit
# applies (reasoning models often spend thousands of tokens before answering).
DEFAULT_MAX_TOKENS: int | None = None
# The seed's cap, kept by the seed-compatible ``HuggingFaceAPI`` facade only.
SEED_MAX_TOKENS = 2048
DEFAULT_MAX_INPUTS_LENGHT = 10000


class Secret:
    """A string that never shows itself in ``repr``/``str``, logs or pickles by accident."""

    __slots__ = ("__weakref__", "_value")

    def __init__(self, value: str) -> None:
        self._value = value
        register_secret(self)  # errors and logs mask it from now on

    def get_secret_value(self) -> str:
        """The secret itself; use only where it must be sent."""
        return self._value

    def __repr__(self) -> str:
        return "Secret('**********')"

    __str__ = __repr__

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Secret) and other._value == self._value

    def __hash__(self) -> int:
        return hash(self._value)

    def __bool__(self) -> bool:
        return bool(self._value)

    def __copy__(self) -> Secret:
        return self

    def __deepcopy__(self, memo: dict[int, object]) -> Secret:
        return self

    def __reduce__(self) -> tuple[object, ...]:
        raise TypeError("A Secret cannot be pickled; pass the token again after loading.")


def _token_file() -> Path:
    hf_home = os.environ.get("HF_HOME")
    if os.environ.get("HF_TOKEN_PATH"):
        return Path(os.environ["HF_TOKEN_PATH"]).expanduser()
    base = Path(hf_home).expanduser() if hf_home else Path("~/.cache/huggingface").expanduser()
    return base / "token"


def find_token(explicit: str | Secret | None = None) -> Secret | None:
    """The token: the argument, else ``HF_TOKEN``, else ``HUGGING_FACE_HUB_TOKEN``, else the
    file huggingface_hub writes (``$HF_HOME/token``, default ``~/.cache/huggingface/token``)."""
    if isinstance(explicit, Secret):
        return explicit if explicit else None
    if explicit is not None and not isinstance(explicit, str):
        raise InvalidInputError(
            f"api_key must be a string (a Hugging Face token 'hf_...') or None, not "
            f"{type(explicit).__name__}"
        )
    if explicit:
        return Secret(explicit.strip())
    for name in TOKEN_ENV_VARS:
        value = os.environ.get(name, "").strip()
        if value:
            return Secret(value)
    try:
        value = _token_file().read_text(encoding="utf-8").strip()
    except OSError:
        return None
    return Secret(value) if value else None


def resolve_base_url(explicit: str | None = None) -> str:
    """The chat base URL: the argument, else ``HF_ROUTER_BASE_URL``, else the router."""
    check_url(explicit, "base_url")
    return (explicit or os.environ.get(ENV_BASE_URL) or DEFAULT_BASE_URL).rstrip("/")


def resolve_hub_url(explicit: str | None = None) -> str:
    """The Hub URL: the argument, else ``HF_ENDPOINT``, else https://huggingface.co."""
    check_url(explicit, "hub_url")
    return (explicit or os.environ.get(ENV_HUB_URL) or DEFAULT_HUB_URL).rstrip("/")


def is_hf_router(base_url: str) -> bool:
    """True when ``base_url`` is Hugging Face's router (then a token is required)."""
    host = urlsplit(base_url).hostname or ""
    return host == "huggingface.co" or host.endswith(".huggingface.co")


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """How one attempt is retried: ``max_retries`` extra tries on 429/5xx, connect failures and
    timeouts, with exponential backoff from ``initial_backoff`` up to ``max_backoff`` seconds
    plus jitter, honouring ``Retry-After`` up to ``max_retry_after`` seconds.

    A chat completion whose request was sent and then timed out or lost its connection is not
    retried on the same provider (the server may still be generating, and billing, the answer)
    unless ``retry_after_send=True``; connect errors, 429 and 5xx answers are always retried."""

    max_retries: int = 2
    initial_backoff: float = 0.5
    max_backoff: float = 8.0
    jitter: float = 0.25
    max_retry_after: float = 60.0
    retry_after_send: bool = False
