"""The emulator's shared mutable state: registered models, faults, cassettes, the request log
and id counters. Each domain (media, HuggingChat) keeps its own store beside it;
:class:`hf_router.testing.server.state.EmulatorState` puts them together."""

from __future__ import annotations

import itertools
import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any, TypeVar

from .cassettes import CassetteStore
from .catalog import ModelSpec, build_model
from .faults import FaultRegistry

__all__ = ["CoreState", "LoggedRequest", "mask_authorization"]

StoreT = TypeVar("StoreT")

_COOKIE_RE = re.compile(r"(\b(?:hf-chat|token)=)[^;]*")


@dataclass(frozen=True)
class LoggedRequest:
    """One request the emulator received (control endpoints excluded).

    ``json`` is the parsed JSON body (``None`` when absent or not JSON); ``headers`` has
    lower-case names and the ``authorization`` value masked (``Bearer hf_***``), as are the
    ``hf-chat`` and ``token`` cookies (``hf-chat=***``, ``token=***``). ``files``: the file
    names of a multipart request's ``files`` parts (HuggingChat asks, whose ``json`` is the parsed ``data`` part).
    """

    method: str
    path: str
    query: str
    headers: dict[str, str]
    json: Any
    time: float
    files: list[str] = field(default_factory=list)

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> LoggedRequest:
        """Build from an entry of ``GET /_emulator/requests``."""
        return cls(
            method=data["method"],
            path=data["path"],
            query=data.get("query", ""),
            headers=dict(data.get("headers") or {}),
            json=data.get("json"),
            time=float(data.get("time", 0.0)),
            files=list(data.get("files") or []),
        )


def mask_authorization(value: str) -> str:
    """Hide a token: ``Bearer hf_abc`` -> ``Bearer hf_***``; anything else -> ``***``."""
    if value.startswith("Bearer hf_"):
        return "Bearer hf_***"
    if value.startswith("Bearer "):
        return "Bearer ***"
    return "***"


@dataclass
class CoreState:
    """What every domain shares and a reset clears: models, faults, cassettes, the request log
    and the id counters."""

    models: dict[str, ModelSpec] = field(default_factory=dict)
    faults: FaultRegistry = field(default_factory=FaultRegistry)
    cassettes: CassetteStore = field(default_factory=CassetteStore)
    log: list[dict[str, Any]] = field(default_factory=list)
    stores: dict[type, Any] = field(default_factory=dict)
    """Each domain's own store, by type (see :meth:`store`)."""
    _completion_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))
    _call_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def reset(self) -> None:
        """Back to a fresh emulator."""
        for store in self.stores.values():
            store.reset()
        self.models.clear()
        self.faults.clear()
        self.cassettes.clear()
        self.log.clear()
        self._completion_ids = itertools.count(1)
        self._call_ids = itertools.count(1)

    def store(self, kind: type[StoreT]) -> StoreT:
        """The domain store of type ``kind`` (media jobs, HuggingChat conversations)."""
        store: StoreT = self.stores[kind]
        return store

    def model(self, model_id: str) -> ModelSpec:
        """The registered model, registering a well-formed unknown id with the defaults."""
        spec = self.models.get(model_id)
        if spec is None:
            spec = self.models[model_id] = build_model(model_id)
        return spec

    def model_by_provider_id(self, provider: str, provider_id: str) -> ModelSpec | None:
        """The registered model that ``provider`` serves under ``provider_id``."""
        for spec in self.models.values():
            entry = spec.provider(provider)
            if entry is not None and entry.provider_id == provider_id:
                return spec
        return None

    def completion_id(self) -> str:
        """``chatcmpl-emu-<n>``."""
        return f"chatcmpl-emu-{next(self._completion_ids)}"

    def call_id(self) -> str:
        """``call_<n>``."""
        return f"call_{next(self._call_ids)}"

    def record(
        self, method: str, path: str, query: str, headers: Iterable[tuple[str, str]], body: Any
    ) -> dict[str, Any]:
        """Append a request to the log (masking the authorization header) and return the entry."""
        stored: dict[str, str] = {}
        for name, value in headers:
            if name == "authorization":
                value = mask_authorization(value)
            elif name == "cookie":
                value = _COOKIE_RE.sub(r"\1***", value)
            stored[name] = f"{stored[name]}, {value}" if name in stored else value
        entry = {
            "method": method,
            "path": path,
            "query": query,
            "headers": stored,
            "json": body,
            "time": time.time(),
        }
        self.log.append(entry)
        return entry
