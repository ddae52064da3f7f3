"""Media providers: one small, pure class each, behind :class:`MediaProvider`.

Adding a provider is one new class (a module next to these) and one line in :data:`PROVIDERS`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from ..._shared.catalog import normalize_mapping
from ...errors import InvalidInputError
from ._base import TASKS, MediaProvider
from .fal_ai import FalAIProvider
from .hf_inference import HFInferenceProvider
from .novita import NovitaProvider
from .nscale import NscaleProvider
from .replicate import ReplicateProvider
from .together import TogetherProvider
from .wavespeed import WavespeedProvider

__all__ = ["PROVIDERS", "MediaProvider", "get_provider", "servable_models"]

PROVIDERS: dict[str, MediaProvider] = {
    p.name: p
    for p in (
        HFInferenceProvider(),
        FalAIProvider(),
        ReplicateProvider(),
        TogetherProvider(),
        NscaleProvider(),
        NovitaProvider(),
        WavespeedProvider(),
    )
}
"""Every media provider hf_router speaks, by the Hub's provider name. (nebius is gone: the
router stopped routing it on 2026-07-01 and both official clients dropped it.)"""


def get_provider(name: str) -> MediaProvider:
    """The provider called ``name``; :class:`InvalidInputError` listing the valid names."""
    provider = PROVIDERS.get(name)
    if provider is None:
        raise InvalidInputError(
            f"{name!r} is not a media provider hf_router supports: use one of "
            + ", ".join(sorted(PROVIDERS))
        )
    return provider


def servable_models(hub_models: Iterable[Any]) -> dict[str, dict[str, list[str]]]:
    """From Hub model entries (``{"id", "inferenceProviderMapping"}``, either mapping form):
    ``{"video": {model: [provider, ...]}, "image": {...}}`` with the live providers of each
    kind that hf_router speaks, in mapping order."""
    found: dict[str, dict[str, list[str]]] = {"video": {}, "image": {}}
    for item in hub_models:
        if not isinstance(item, Mapping) or not isinstance(item.get("id"), str):
            continue
        for entry in normalize_mapping(item.get("inferenceProviderMapping")):
            provider = PROVIDERS.get(entry.provider)
            if entry.status != "live" or provider is None:
                continue
            for kind, names in found.items():
                if entry.task == TASKS[kind] and provider.supports(kind):
                    providers = names.setdefault(item["id"], [])
                    if entry.provider not in providers:
                        providers.append(entry.provider)
    return found
