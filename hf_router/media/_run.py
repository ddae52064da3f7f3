"""The per-call state of one media generation (:class:`MediaRun`): the model and task, the
providers to try (:class:`Candidate`), the ones skipped for the whole call, and the event queue
the engine (:mod:`hf_router.media._engine`) fills while the caller reads it."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from pathlib import Path

from .._shared.catalog import ProviderMapping
from .._shared.deadline import Deadline
from .._shared.models import ModelRef
from ..errors import AllProvidersFailedError, APIStatusError, AttemptFailure, HFRouterError
from ..events import Event, Fallback, ProviderInfo, Status
from .providers._base import MediaTask

__all__ = ["Candidate", "MediaRun"]

logger = logging.getLogger("hf_router")


@dataclass(frozen=True, slots=True)
class Candidate:
    """One provider to try, numbered in the order of the call's plan."""

    number: int
    entry: ProviderMapping

    @property
    def name(self) -> str:
        return self.entry.provider


class MediaRun:
    """The shared state of one call: its plan, the skipped providers and the event queue."""

    def __init__(self, ref: ModelRef, task: MediaTask, n: int, output_dir: Path) -> None:
        self.ref, self.task, self.n, self.output_dir = ref, task, n, output_dir
        self.queue: asyncio.Queue[Event | None] = asyncio.Queue()
        self.candidates: list[Candidate] = []
        self.failures: dict[str, AttemptFailure] = {}
        self.served: set[str] = set()
        self.done = 0
        self.state = "starting"
        self.seed_compat = False
        """The seed facade's provider order and random hf-inference seeds."""
        self.deadline = Deadline(None)
        """The call's deadline (set by the engine when the call starts)."""

    def skip(self, cand: Candidate, error: APIStatusError) -> None:
        """Skip ``cand`` for the rest of the call (once, however many jobs saw it fail)."""
        if cand.name in self.failures:
            return
        self.failures[cand.name] = AttemptFailure(cand.number, self.ref.repo_id, cand.name, error)
        reason = error.server_message or error.message
        logger.warning(
            "Media provider %s skipped for %s (HTTP %s): %s",
            *(cand.name, self.ref.repo_id, error.status_code, reason),
        )
        if any(c.name not in self.failures for c in self.candidates):
            kind = type(error).__name__
            event = Fallback(
                cand.number, self.ref.repo_id, cand.name, kind, error.status_code, reason
            )
            self.queue.put_nowait(event)

    def serving(self, cand: Candidate) -> None:
        if cand.name not in self.served:
            self.served.add(cand.name)
            info = ProviderInfo(self.ref.repo_id, cand.name, cand.entry.provider_id, cand.number)
            self.queue.put_nowait(info)

    def final_error(self) -> HFRouterError:
        failures = sorted(self.failures.values(), key=lambda f: f.attempt)
        if len(failures) == 1:
            return failures[0].error
        return AllProvidersFailedError(failures, model=self.ref.repo_id)

    def status(self, elapsed: float) -> Status:
        done = f"; {self.done}/{self.n} done" if self.n > 1 else ""
        text = f"Generating {int(elapsed)}s ({self.state}{done})"
        return Status("Generating", text, round(elapsed, 3))
