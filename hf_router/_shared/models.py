"""Model ids: validation, provider suffixes, aliases and defaults (seed: HuggingFaceAPI)."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import quote

from ..errors import InvalidModelError

__all__ = [
    "DEFAULT_FALLBACK_MODELS",
    "DEFAULT_MODEL",
    "DEFAULT_MODEL_ALIASES",
    "DEFAULT_VISION_MODEL",
    "DEFAULT_VISION_MODELS",
    "POLICIES",
    "ModelRef",
    "parse_model",
    "resolve_model",
]

DEFAULT_MODEL = "meta-llama/Llama-3.3-70B-Instruct"
DEFAULT_VISION_MODEL = "Qwen/Qwen2.5-VL-7B-Instruct"
DEFAULT_VISION_MODELS: tuple[str, ...] = (
    DEFAULT_VISION_MODEL,
    "Qwen/Qwen2.5-VL-32B-Instruct",
    "meta-llama/Llama-3.2-11B-Vision-Instruct",
    "google/gemma-3-27b-it",
)
DEFAULT_MODEL_ALIASES: dict[str, str] = {
    "llama-3.3-70b": "meta-llama/Llama-3.3-70B-Instruct",
    "llama-3.1-8b": "meta-llama/Llama-3.1-8B-Instruct",
    "llama-3.2-11b": "meta-llama/Llama-3.2-11B-Vision-Instruct",
    "qwen-2.5-72b": "Qwen/Qwen2.5-72B-Instruct",
    "qwen-2.5-coder-32b": "Qwen/Qwen2.5-Coder-32B-Instruct",
    "qwen-2.5-vl-7b": "Qwen/Qwen2.5-VL-7B-Instruct",
    "qwq-32b": "Qwen/QwQ-32B",
    "qwen-3-32b": "Qwen/Qwen3-32B",
    "deepseek-r1": "deepseek-ai/DeepSeek-R1",
    "deepseek-v3": "deepseek-ai/DeepSeek-V3-0324",
    "gemma-3-27b": "google/gemma-3-27b-it",
    "mistral-nemo": "mistralai/Mistral-Nemo-Instruct-2407",
    "phi-4": "microsoft/phi-4",
    "gpt-oss-120b": "openai/gpt-oss-120b",
}
# Seed behaviour: the facade falls back through these when every provider of a model fails.
DEFAULT_FALLBACK_MODELS: tuple[str, ...] = (
    "meta-llama/Llama-3.3-70B-Instruct",
    "Qwen/Qwen2.5-72B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
)

POLICIES = frozenset({"fastest", "cheapest", "preferred"})

_SEGMENT = r"[A-Za-z0-9][A-Za-z0-9._-]*"
_REPO_RE = re.compile(rf"^(?:{_SEGMENT}/)?{_SEGMENT}$")
_SUFFIX_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]*$")


@dataclass(frozen=True, slots=True)
class ModelRef:
    """A validated model string: the repo id and an optional provider or policy suffix."""

    repo_id: str
    suffix: str | None = None

    @property
    def provider(self) -> str | None:
        """The pinned inference provider, if the suffix names one (not a policy)."""
        return self.suffix if self.suffix and self.suffix not in POLICIES else None

    @property
    def policy(self) -> str | None:
        """``fastest`` / ``cheapest`` / ``preferred`` when given."""
        return self.suffix if self.suffix in POLICIES else None

    @property
    def is_hub_id(self) -> bool:
        """True for ``org/name`` ids that the Hub can be asked about."""
        return "/" in self.repo_id

    @property
    def url_path(self) -> str:
        """The repo id, URL-encoded segment by segment, for Hub URLs."""
        return "/".join(quote(part, safe="") for part in self.repo_id.split("/"))

    def with_provider(self, provider: str | None) -> str:
        """The string the router expects: ``repo`` or ``repo:provider``."""
        return f"{self.repo_id}:{provider}" if provider else self.repo_id

    def __str__(self) -> str:
        return self.with_provider(self.suffix)


def parse_model(model: str, provider: str | None = None) -> ModelRef:
    """Validate ``model`` (``org/name``, optional ``:provider`` or ``:policy``) before it reaches
    a URL; ``provider`` appends a suffix. Raises :class:`InvalidModelError`."""
    if not isinstance(model, str) or not model.strip():
        raise InvalidModelError(f"The model id must be a non-empty string, got {model!r}")
    if model != model.strip() or any(ch.isspace() or ord(ch) < 32 for ch in model):
        raise InvalidModelError(f"The model id {model!r} contains whitespace or control characters")
    repo, sep, suffix = model.partition(":")
    if ".." in model:
        raise InvalidModelError(f"The model id {model!r} contains '..'")
    if not _REPO_RE.match(repo):
        raise InvalidModelError(
            f"The model id {model!r} is not 'org/name': use one '/' between two names made of "
            "letters, digits, '.', '_' and '-'"
        )
    if sep and not _SUFFIX_RE.match(suffix):
        raise InvalidModelError(f"The provider suffix in {model!r} is not a valid provider name")
    if provider is not None:
        if not isinstance(provider, str) or not _SUFFIX_RE.match(provider):
            raise InvalidModelError(f"provider={provider!r} is not a valid provider name")
        if sep and suffix != provider:
            raise InvalidModelError(
                f"The model id {model!r} already names ':{suffix}', which conflicts with "
                f"provider={provider!r}"
            )
        suffix = provider
    return ModelRef(repo, suffix or None)


def resolve_model(
    name: str | None,
    *,
    aliases: Mapping[str, str],
    default_model: str,
    default_vision_model: str,
    has_images: bool = False,
) -> str:
    """Seed ``get_model``: aliases resolve (suffix kept), an empty name gives the default model
    (or the vision default when the messages carry images); unknown names pass unchanged."""
    if name is not None and not isinstance(name, str):
        raise InvalidModelError(
            f"model={name!r} must be a model id string such as {default_model!r}, or None"
        )
    if not name:
        return default_vision_model if has_images else default_model
    base, sep, suffix = name.partition(":")
    target = aliases.get(base) or aliases.get(base.lower())
    if target is None:
        return name
    return f"{target}:{suffix}" if sep and ":" not in target else target
