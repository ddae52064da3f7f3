"""The emulator's model catalog: which models it serves, through which providers."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

__all__ = [
    "DEFAULT_CONTEXT_LENGTH",
    "LISTED_MODELS",
    "MEDIA_TASKS",
    "OVERFLOW_STYLES",
    "ModelSpec",
    "ProviderEntry",
    "build_model",
    "is_model_id",
]

DEFAULT_PROVIDERS: tuple[tuple[str, str], ...] = (
    ("together", "live"),
    ("cerebras", "live"),
    ("novita", "staging"),
)
"""A new model's providers: two the router routes today, then one not live. (nebius was the
second until the router stopped routing it on 2026-07-01.)"""
DEFAULT_CONTEXT_LENGTH = 131072
LISTED_MODELS = ("meta-llama/Llama-3.3-70B-Instruct", "Qwen/Qwen2.5-VL-72B-Instruct")
"""The client's default chat and vision models: in ``/v1/models`` even before first use."""
OVERFLOW_STYLES = ("openai", "vllm", "tgi", "anthropic", "llamacpp", "bare")
"""The ``overflow`` refusal wordings (rendered by ``testing/chat/overflow.py``)."""
MEDIA_TASKS = frozenset({"text-to-image", "text-to-video"})
REASONING_MODES = ("field", "think_tags")
_PRICING: dict[str, dict[str, float]] = {
    "together": {"input": 0.88, "output": 0.88},
    "cerebras": {"input": 0.85, "output": 1.20},
    "novita": {"input": 0.20, "output": 0.60},
}
_MODEL_ID_RE = re.compile(r"[A-Za-z0-9][\w.\-]*/[\w.\-]+")
_REASONING_NAME_RE = re.compile(r"r1|reason", re.IGNORECASE)
_CREATED = 1_735_689_600  # 2025-01-01T00:00:00Z, a fixed "created" for /v1/models


def is_model_id(text: str) -> bool:
    """Whether ``text`` is a well-formed Hub repo id (``org/name``)."""
    return _MODEL_ID_RE.fullmatch(text) is not None


@dataclass(frozen=True)
class ProviderEntry:
    """One provider of a model, as in the Hub's ``inferenceProviderMapping``."""

    provider: str
    status: str
    provider_id: str
    task: str
    context_length: int | None = None  # this provider's own, else the model's
    adapter: str | None = None  # "lora" for a LoRA adapter repo
    adapter_weights_path: str | None = None  # the weights file inside the repo

    def mapping_fields(self) -> dict[str, Any]:
        """The adapter fields of this entry in the Hub mapping (only when set)."""
        out: dict[str, Any] = {}
        if self.adapter is not None:
            out["adapter"] = self.adapter
        if self.adapter_weights_path is not None:
            out["adapterWeightsPath"] = self.adapter_weights_path
        return out


@dataclass
class ModelSpec:
    """A model the emulator serves."""

    model_id: str
    providers: list[ProviderEntry]
    context_length: int = DEFAULT_CONTEXT_LENGTH
    mapping_form: str = "dict"
    reasoning: str | None = None
    overflow: str | None = None
    """Enforce the context window with this server's refusal (see testing/chat/overflow.py)."""

    def live(self) -> list[ProviderEntry]:
        """The live providers, in mapping order."""
        return [p for p in self.providers if p.status == "live"]

    def provider(self, name: str) -> ProviderEntry | None:
        """The entry for provider ``name``, if the model has it."""
        return next((p for p in self.providers if p.provider == name), None)

    def pipeline_tag(self) -> str:
        """``text-to-image``/``text-to-video`` for media models, else ``text-generation``."""
        return next((p.task for p in self.providers if p.task in MEDIA_TASKS), "text-generation")

    def hub_id(self) -> str:
        """A stable fake 24-hex-digit Hub ``_id``."""
        return hashlib.sha1(self.model_id.encode()).hexdigest()[:24]

    def mapping(self) -> dict[str, Any] | list[dict[str, Any]]:
        """``inferenceProviderMapping`` in this model's form (dict or list)."""
        if self.mapping_form == "list":
            return [
                {
                    "provider": p.provider,
                    "providerId": p.provider_id,
                    "status": p.status,
                    "task": p.task,
                    "adapter": None,
                    **p.mapping_fields(),
                }
                for p in self.providers
            ]
        return {
            p.provider: {
                "status": p.status,
                "providerId": p.provider_id,
                "task": p.task,
                **p.mapping_fields(),
            }
            for p in self.providers
        }

    def openai_entry(self) -> dict[str, Any]:
        """This model as an entry of ``GET /v1/models``."""
        return {
            "id": self.model_id,
            "object": "model",
            "created": _CREATED,
            "owned_by": self.model_id.split("/", 1)[0],
            "providers": [
                {
                    "provider": p.provider,
                    "status": p.status,
                    "context_length": p.context_length or self.context_length,
                    "pricing": dict(_PRICING.get(p.provider, {"input": 0.5, "output": 1.0})),
                    "supports_tools": True,
                    "supports_structured_output": True,
                }
                for p in self.providers
            ],
        }


def _default_reasoning(model_id: str) -> str | None:
    return "field" if _REASONING_NAME_RE.search(model_id) else None


def build_model(
    model_id: str,
    providers: Iterable[str | Mapping[str, Any]] | None = None,
    context_length: int | None = None,
    mapping_form: str = "dict",
    task: str = "conversational",
    reasoning: str | bool | None = None,
    provider_ids: Mapping[str, str] | None = None,
    overflow: str | None = None,
) -> ModelSpec:
    """Validate ``add_model`` arguments and build the :class:`ModelSpec`.

    Raises ``ValueError`` on a malformed id, mapping form, reasoning mode or provider entry.
    """
    if not is_model_id(model_id):
        raise ValueError(f"model id must look like 'org/name', got {model_id!r}")
    if mapping_form not in ("dict", "list"):
        raise ValueError(f"mapping_form must be 'dict' or 'list', got {mapping_form!r}")
    if reasoning is None:
        mode = _default_reasoning(model_id)
    elif reasoning is False or reasoning == "none":
        mode = None
    elif reasoning in REASONING_MODES:
        mode = str(reasoning)
    else:
        raise ValueError(
            f"reasoning must be None, 'none', 'field' or 'think_tags', got {reasoning!r}"
        )
    if overflow is not None and overflow not in OVERFLOW_STYLES:
        raise ValueError(f"overflow must be None or one of {OVERFLOW_STYLES}, got {overflow!r}")
    ids = dict(provider_ids or {})
    raw: Iterable[str | Mapping[str, Any]] = (
        providers
        if providers is not None
        else [{"provider": n, "status": s} for n, s in DEFAULT_PROVIDERS]
    )
    entries: list[ProviderEntry] = []
    for item in raw:
        if isinstance(item, str):
            item = {"provider": item}
        if not isinstance(item, Mapping) or not isinstance(item.get("provider"), str):
            raise ValueError(f"provider entries are names or dicts with 'provider', got {item!r}")
        name = item["provider"]
        length = item.get("context_length")
        if length is not None and (
            isinstance(length, bool) or not isinstance(length, int) or length < 1
        ):
            raise ValueError(f"context_length must be a positive integer, got {length!r}")
        adapter, weights = item.get("adapter"), item.get("adapterWeightsPath")
        for key, value in (("adapter", adapter), ("adapterWeightsPath", weights)):
            if value is not None and (not isinstance(value, str) or not value):
                raise ValueError(f"{key} must be a non-empty string, got {value!r}")
        entries.append(
            ProviderEntry(
                provider=name,
                status=str(item.get("status", "live")),
                provider_id=str(item.get("providerId") or ids.get(name) or model_id),
                task=str(item.get("task") or task),
                context_length=length,
                adapter=adapter,
                adapter_weights_path=weights,
            )
        )
    return ModelSpec(
        model_id=model_id,
        providers=entries,
        context_length=int(context_length or DEFAULT_CONTEXT_LENGTH),
        mapping_form=mapping_form,
        reasoning=mode,
        overflow=overflow,
    )
