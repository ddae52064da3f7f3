"""The emulator's whole state: the shared core plus each domain's store."""

from __future__ import annotations

from dataclasses import dataclass

from ..core.catalog import build_model
from ..core.state import CoreState
from ..huggingchat.model import HuggingChatStore
from ..media.state import DEFAULT_MEDIA_MODELS, MediaStore

__all__ = ["EmulatorState"]


@dataclass
class EmulatorState(CoreState):
    """Everything a reset clears: the core (models, faults, cassettes, the log, id counters),
    media jobs and files, and HuggingChat conversations."""

    def __post_init__(self) -> None:
        self.stores.setdefault(MediaStore, MediaStore())
        self.stores.setdefault(HuggingChatStore, HuggingChatStore())
        self.install_media_models()

    @property
    def media(self) -> MediaStore:
        """Media jobs and generated files."""
        return self.store(MediaStore)

    @property
    def huggingchat(self) -> HuggingChatStore:
        """HuggingChat models and conversations."""
        return self.store(HuggingChatStore)

    def install_media_models(self) -> None:
        """Register the built-in media models (see ``DEFAULT_MEDIA_MODELS``)."""
        for model_id, task, ids in DEFAULT_MEDIA_MODELS:
            self.models[model_id] = build_model(model_id, list(ids), task=task, provider_ids=ids)

    def reset(self) -> None:
        """Back to a fresh emulator."""
        super().reset()
        self.install_media_models()
