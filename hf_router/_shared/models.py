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
    "FACADE_MODEL_ALIASES",
    "POLICIES",
    "ROUTER_EVIDENCE",
    "SEED_MODEL_ALIASES",
    "ModelRef",
    "parse_model",
    "resolve_model",
]

DEFAULT_MODEL = "meta-llama/Llama-3.3-70B-Instruct"
DEFAULT_VISION_MODEL = "Qwen/Qwen2.5-VL-72B-Instruct"
"""The model used when no model is given and the messages carry images. The seed's
(meta-llama/Llama-3.2-11B-Vision-Instruct) and our earlier Qwen/Qwen2.5-VL-7B-Instruct are no
longer served by the router (see :data:`ROUTER_EVIDENCE`)."""
DEFAULT_VISION_MODELS: tuple[str, ...] = (
    DEFAULT_VISION_MODEL,
    "google/gemma-3-27b-it",
)
"""Vision models the router serves. The seed's two (Llama-3.2-11B-Vision-Instruct and
Qwen/Qwen2-VL-7B-Instruct) are gone from the router, so none of them is kept."""

ROUTER_EVIDENCE = (
    "huggingface/chat-ui chart/env/prod.yaml at c100c162f (2026-08-21): its MODELS list is "
    "checked against https://router.huggingface.co/v1/models; ids the router stopped "
    "returning were removed in #2248 (2026-04-28) and #2398 (2026-07-01)"
)
"""Where the 'still on the router' judgements of this module come from."""

SEED_MODEL_ALIASES: dict[str, str] = {
    "qwen-2.5-72b": "Qwen/Qwen2.5-Coder-32B-Instruct",  # sic: the seed's target
    "llama-3": "meta-llama/Llama-3.3-70B-Instruct",
    "llama-3.3-70b": "meta-llama/Llama-3.3-70B-Instruct",
    "qwen-2.5-coder-32b": "Qwen/Qwen2.5-Coder-32B-Instruct",
    "flux": "black-forest-labs/FLUX.1-dev",
    "flux-dev": "black-forest-labs/FLUX.1-dev",
    "flux-schnell": "black-forest-labs/FLUX.1-schnell",
    "sd-3.5": "stabilityai/stable-diffusion-3.5-large",
}
"""The seed's aliases (gpt4free ``g4f/Provider/hf/models.py``) whose target the router still
serves (chat models: :data:`ROUTER_EVIDENCE`; the three image models have live text-to-image
providers and are in huggingface.js's provider tests of 2026-08). Dropped, because the router
no longer serves the target: ``command-r-plus`` (CohereForAI/c4ai-command-r-plus-08-2024),
``deepseek-r1`` (deepseek-ai/DeepSeek-R1-Distill-Qwen-32B, removed 2026-07-01; our
``deepseek-r1`` names DeepSeek-R1 instead), ``qwq-32b`` (Qwen/QwQ-32B, removed 2026-07-01),
``nemotron-70b`` (nvidia/Llama-3.1-Nemotron-70B-Instruct-HF), ``llama-3.2-11b``
(meta-llama/Llama-3.2-11B-Vision-Instruct), ``mistral-nemo`` (Mistral-Nemo-Instruct-2407),
``phi-3.5-mini`` (microsoft/Phi-3.5-mini-instruct), ``qwen-2-vl-7b`` (Qwen/Qwen2-VL-7B-Instruct),
``gemma-2-27b`` (google/gemma-2-27b-it), ``qwen-2-72b`` (Qwen/Qwen2-72B-Instruct) and
``qvq-72b`` (Qwen/QVQ-72B-Preview)."""

DEFAULT_MODEL_ALIASES: dict[str, str] = {
    "llama-3.3-70b": "meta-llama/Llama-3.3-70B-Instruct",
    "llama-3.1-8b": "meta-llama/Llama-3.1-8B-Instruct",
    "qwen-2.5-72b": "Qwen/Qwen2.5-72B-Instruct",
    "qwen-2.5-coder-32b": "Qwen/Qwen2.5-Coder-32B-Instruct",
    "qwen-2.5-vl-72b": "Qwen/Qwen2.5-VL-72B-Instruct",
    "qwen-3-32b": "Qwen/Qwen3-32B",
    "deepseek-r1": "deepseek-ai/DeepSeek-R1",
    "deepseek-v3": "deepseek-ai/DeepSeek-V3-0324",
    "gemma-3-27b": "google/gemma-3-27b-it",
    "phi-4": "microsoft/phi-4",
    "gpt-oss-120b": "openai/gpt-oss-120b",
}
""":class:`~hf_router.RouterClient`'s aliases (every target on the router, see
:data:`ROUTER_EVIDENCE`). ``qwen-2.5-72b`` names the model its name says; the seed facade
:class:`~hf_router.HuggingFaceAPI` uses the seed's aliases on top (:data:`SEED_MODEL_ALIASES`)."""

FACADE_MODEL_ALIASES: dict[str, str] = {**DEFAULT_MODEL_ALIASES, **SEED_MODEL_ALIASES}
""":class:`~hf_router.HuggingFaceAPI`'s aliases: ours, with the seed's winning a conflict."""

DEFAULT_FALLBACK_MODELS: tuple[str, ...] = (
    "meta-llama/Llama-3.3-70B-Instruct",
    "Qwen/Qwen2.5-72B-Instruct",
    "meta-llama/Llama-3.1-8B-Instruct",
)
"""Models tried in turn when every provider of an *unpinned* model failed (new in hf_router:
the seed's ``fallback_models`` is only the list ``get_models`` answers when the Hub cannot be
asked, and its seed entries are mostly gone from the router). The seed facade
:class:`~hf_router.HuggingFaceAPI` never uses them for a request that pins a provider
(``model:provider``): that one raises its provider's error, as the seed does."""

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
