"""Model lookups of :class:`~hf_router.RouterClient`: aliases, the router's model list, the Hub
provider mapping and context windows (all through the client's cached catalog)."""

from __future__ import annotations

from collections.abc import Mapping

from .._shared.catalog import Catalog, ProviderMapping, RouterModel
from .._shared.models import resolve_model

__all__ = ["ModelLookups"]


class ModelLookups:
    """The model methods of :class:`~hf_router.RouterClient` (which holds the state)."""

    catalog: Catalog
    model_aliases: Mapping[str, str]
    default_model: str
    default_vision_model: str

    def get_model(self, name: str | None, *, has_images: bool = False) -> str:
        """Resolve an alias (unknown names pass unchanged; empty gives the default model)."""
        return resolve_model(
            name,
            aliases=self.model_aliases,
            default_model=self.default_model,
            default_vision_model=self.default_vision_model,
            has_images=has_images,
        )

    def list_models(self) -> list[RouterModel]:
        """The router's ``/v1/models`` with providers; the fallback list on failure."""
        return self.catalog.list_models()

    async def alist_models(self) -> list[RouterModel]:
        """Async twin of :meth:`list_models`."""
        return await self.catalog.alist_models()

    def get_models(self) -> list[str]:
        """Model ids the router serves; ``fallback_models`` when the list cannot be fetched."""
        return [m.id for m in self.list_models()]

    async def aget_models(self) -> list[str]:
        """Async twin of :meth:`get_models`."""
        return [m.id for m in await self.alist_models()]

    def get_mapping(self, model: str) -> list[ProviderMapping]:
        """The model's live providers from the Hub (cached)."""
        return self.catalog.get_mapping(self.get_model(model))

    async def aget_mapping(self, model: str) -> list[ProviderMapping]:
        """Async twin of :meth:`get_mapping`."""
        return await self.catalog.aget_mapping(self.get_model(model))

    def context_window(self, model: str, provider: str | None = None) -> int | None:
        """The model's context length from ``/v1/models`` (None when unknown)."""
        return Catalog.context_window_from(self.list_models(), self.get_model(model), provider)

    async def acontext_window(self, model: str, provider: str | None = None) -> int | None:
        """Async twin of :meth:`context_window`."""
        models = await self.alist_models()
        return Catalog.context_window_from(models, self.get_model(model), provider)
