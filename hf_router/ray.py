"""Batch chat on Ray Data (the ``ray`` extra: ``pip install "hf-router[ray]"``).

:class:`RouterChat` is a callable class for ``Dataset.map_batches``: each actor builds its own
:class:`~hf_router.RouterClient` from plain configuration (the client is never pickled, and its
token is found in the actor: ``HF_TOKEN`` from the worker's environment, the token file, or a
``token_provider`` function), then answers each batch's rows concurrently, at most
``max_in_flight`` at a time per actor. Every input row gives one output row, with flat columns
(see :data:`RESULT_COLUMNS`) and the caller's id columns passed through; a failed row has
``error_type``/``error`` set and no answer, so nothing is lost.

    import ray
    from hf_router.ray import chat_dataset, init_local

    init_local(num_cpus=2)                      # quiet, loopback-only local cluster
    ds = ray.data.from_items([{"id": i, "prompt": f"Question {i}"} for i in range(1000)])
    out = chat_dataset(ds, "meta-llama/Llama-3.3-70B-Instruct", id_columns=["id"], actors=2)
    out.write_parquet("answers/")               # rerun the ids whose ``error`` is set

This module imports only public hf_router names (and Ray/pyarrow, lazily at call time).
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Mapping, Sequence
from typing import Any

from hf_router import ChatResult, RouterClient
from hf_router.errors import HFRouterError, InvalidInputError

__all__ = [
    "RESULT_COLUMNS",
    "RouterChat",
    "TokenBucket",
    "chat_dataset",
    "init_local",
    "rate_limiter",
]

#: The output columns, besides the caller's id columns (name -> Arrow type name).
RESULT_COLUMNS: dict[str, str] = {
    "answer": "string",
    "reasoning": "string",
    "provider": "string",
    "model": "string",
    "input_tokens": "int64",
    "output_tokens": "int64",
    "finish_reason": "string",
    "fallbacks": "int64",
    "error_type": "string",
    "error": "string",
}


def _require_ray() -> Any:
    try:
        import ray
    except ImportError as exc:  # pragma: no cover - depends on the environment
        raise ImportError(
            'hf_router.ray needs Ray Data: pip install "hf-router[ray]" (or "ray[data]")'
        ) from exc
    return ray


def _schema(id_fields: Sequence[Any]) -> Any:
    import pyarrow as pa

    fields = [pa.field(name, getattr(pa, kind)()) for name, kind in RESULT_COLUMNS.items()]
    return pa.schema([*id_fields, *fields])


def _row(result: ChatResult | HFRouterError) -> dict[str, Any]:
    if isinstance(result, HFRouterError):
        out: dict[str, Any] = dict.fromkeys(RESULT_COLUMNS)
        out["error_type"] = type(result).__name__
        out["error"] = str(result)
        out["model"] = result.model
        out["provider"] = result.provider
        return out
    usage = result.usage
    return {
        "answer": result.text,
        "reasoning": result.reasoning or None,
        "provider": result.provider,
        "model": result.model,
        "input_tokens": usage.input_tokens if usage else None,
        "output_tokens": usage.output_tokens if usage else None,
        "finish_reason": result.finish_reason,
        "fallbacks": len(result.fallbacks),
        "error_type": None,
        "error": None,
    }


class RouterChat:
    """A ``map_batches`` callable class: one chat request per row (see the module docstring).

    Args:
        model: The model for every row (a row's ``model_column`` value, when set, wins).
        prompt_column: A string column sent as one user message (default ``"prompt"``).
        messages_column: A column of message lists (``[{"role", "content"}, ...]``) instead.
        system_prompt: A system message put before each row's messages.
        id_columns: Input columns copied to the output unchanged (to join or resume by).
        model_column: An optional column naming each row's model.
        max_in_flight: Requests at once per actor, over all its concurrent batches.
        client: Keyword arguments for :class:`~hf_router.RouterClient` (plain values; a token
            is refused here, since the arguments travel: the actor finds its own).
        rate_limiter: A :func:`rate_limiter` actor shared by all actors, or None.
        params: Chat parameters for every row (``temperature``, ``max_tokens``, ...).
    """

    def __init__(
        self,
        model: str,
        *,
        prompt_column: str = "prompt",
        messages_column: str | None = None,
        system_prompt: str | None = None,
        id_columns: Sequence[str] = (),
        model_column: str | None = None,
        max_in_flight: int = 32,
        client: Mapping[str, Any] | None = None,
        rate_limiter: Any = None,
        params: Mapping[str, Any] | None = None,
    ) -> None:
        config = dict(client or {})
        if "api_key" in config:
            raise InvalidInputError(
                "Do not put the token in RouterChat's client config (the arguments are shipped "
                "to every actor); set HF_TOKEN in the workers' environment (runtime_env) or "
                "pass client={'token_provider': <a function returning it>}"
            )
        if isinstance(max_in_flight, bool) or not isinstance(max_in_flight, int):
            raise InvalidInputError(f"max_in_flight={max_in_flight!r} must be an integer")
        if max_in_flight < 1:
            raise InvalidInputError(f"max_in_flight={max_in_flight} must be at least 1")
        self.model = model
        self.prompt_column = prompt_column
        self.messages_column = messages_column
        self.system_prompt = system_prompt
        self.id_columns = tuple(id_columns)
        self.model_column = model_column
        self.max_in_flight = max_in_flight
        self.params = dict(params or {})
        self.rate_limiter = rate_limiter
        self.client = RouterClient(**config)  # built here, in the actor; never pickled
        self._slots: asyncio.Semaphore | None = None

    def __repr__(self) -> str:
        return f"RouterChat(model={self.model!r}, max_in_flight={self.max_in_flight})"

    def _messages(self, table: Any) -> list[Any]:
        names = table.column_names
        if self.messages_column is not None:
            if self.messages_column not in names:
                raise InvalidInputError(f"The batch has no column {self.messages_column!r}")
            rows = table.column(self.messages_column).to_pylist()
        else:
            if self.prompt_column not in names:
                raise InvalidInputError(
                    f"The batch has no column {self.prompt_column!r}; name the text column with "
                    "prompt_column=... or a message-list column with messages_column=..."
                )
            rows = [
                [{"role": "user", "content": p}] if isinstance(p, str) else p
                for p in table.column(self.prompt_column).to_pylist()
            ]
        if self.system_prompt:
            system = {"role": "system", "content": self.system_prompt}
            rows = [[system, *m] if isinstance(m, list) else m for m in rows]
        return rows

    async def _one(self, model: str, messages: Any) -> ChatResult | HFRouterError:
        assert self._slots is not None
        async with self._slots:
            try:
                if self.rate_limiter is not None:
                    await asyncio.sleep(await self.rate_limiter.reserve.remote())
                return await self.client.achat(model, messages, **self.params)
            except HFRouterError as exc:
                return exc

    async def __call__(self, batch: Any) -> Any:
        """Answer every row of a ``pyarrow.Table`` batch; returns a table of the id columns
        and :data:`RESULT_COLUMNS`, one row per input row, in order."""
        import pyarrow as pa

        if self._slots is None:  # made on the actor's own event loop
            self._slots = asyncio.Semaphore(self.max_in_flight)
        missing = [c for c in self.id_columns if c not in batch.column_names]
        if missing:
            raise InvalidInputError(f"The batch has no id column(s) {missing}")
        messages = self._messages(batch)
        models = (
            batch.column(self.model_column).to_pylist()
            if self.model_column
            else [self.model] * len(messages)
        )
        results = await asyncio.gather(
            *(self._one(m or self.model, msgs) for m, msgs in zip(models, messages, strict=True))
        )
        rows = [_row(r) for r in results]
        ids = [batch.schema.field(c) for c in self.id_columns]
        columns = {c: batch.column(c) for c in self.id_columns}
        for name in RESULT_COLUMNS:
            columns[name] = [row[name] for row in rows]
        return pa.table(columns, schema=_schema(ids))


class TokenBucket:
    """The shared rate limit: an async Ray actor handing out send times, ``rate`` per second
    with bursts of ``burst``. Callers sleep for the delay :meth:`reserve` returns."""

    def __init__(self, rate: float, burst: float = 1.0) -> None:
        self.interval = 1.0 / rate
        self.slack = max(0.0, burst - 1.0) * self.interval
        self.next = time.monotonic()

    async def reserve(self) -> float:
        """Seconds the caller must wait before sending (its slot is reserved)."""
        now = time.monotonic()
        slot = max(self.next, now - self.slack)
        self.next = slot + self.interval
        return max(0.0, slot - now)


def rate_limiter(requests_per_second: float, burst: float = 1.0) -> Any:
    """Start a :class:`TokenBucket` actor (no CPU reserved) to share across ``RouterChat``
    actors: at most ``requests_per_second`` requests over the whole cluster."""
    if isinstance(requests_per_second, bool) or not (
        isinstance(requests_per_second, (int, float)) and requests_per_second > 0
    ):
        raise InvalidInputError("requests_per_second must be a positive number")
    ray = _require_ray()
    actor = ray.remote(num_cpus=0)(TokenBucket)
    return actor.remote(float(requests_per_second), float(burst))


def chat_dataset(
    ds: Any,
    model: str,
    *,
    actors: int = 2,
    max_in_flight: int = 64,
    batch_size: int | None = None,
    num_cpus: float = 0.25,
    requests_per_second: float | None = None,
    client: Mapping[str, Any] | None = None,
    prompt_column: str = "prompt",
    messages_column: str | None = None,
    system_prompt: str | None = None,
    id_columns: Sequence[str] = (),
    model_column: str | None = None,
    **params: Any,
) -> Any:
    """Apply :class:`RouterChat` to a Ray ``Dataset`` with a fixed pool of ``actors`` (each
    reserving only ``num_cpus``: the work is waiting on the network), ``max_in_flight``
    requests per actor, and an optional cluster-wide ``requests_per_second``. Returns the
    (lazy) output Dataset; ``**params`` are chat parameters for every row."""
    ray = _require_ray()
    if isinstance(actors, bool) or not isinstance(actors, int) or actors < 1:
        raise InvalidInputError(f"actors={actors!r} must be a positive integer")
    limiter = rate_limiter(requests_per_second) if requests_per_second else None
    size = batch_size or max(1, max_in_flight // 2)
    return ds.map_batches(
        RouterChat,
        fn_constructor_kwargs={
            "model": model,
            "prompt_column": prompt_column,
            "messages_column": messages_column,
            "system_prompt": system_prompt,
            "id_columns": tuple(id_columns),
            "model_column": model_column,
            "max_in_flight": max_in_flight,
            "client": dict(client or {}),
            "rate_limiter": limiter,
            "params": params,
        },
        batch_format="pyarrow",
        batch_size=size,
        compute=ray.data.ActorPoolStrategy(
            size=actors,
            # enough batches per actor to keep max_in_flight requests going while one is
            # being assembled or handed back
            max_concurrent_calls_per_actor=max(2, -(-max_in_flight // size) + 1),
        ),
        num_cpus=num_cpus,
    )


_SINGLE_NODE_ENV = "RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER"


def init_local(num_cpus: int = 2, **kwargs: Any) -> Any:
    """``ray.init`` for a quiet single-node cluster bound to the loopback address (it sets
    ``RAY_ENABLE_WINDOWS_OR_OSX_CLUSTER=0``, Ray's own switch for that, unless already set): no
    usage stats, no dashboard, workers' logs not copied to the driver, no progress bars, Ray
    Data's INFO lines off. ``kwargs`` go to ``ray.init`` (and win). For a real cluster call
    ``ray.init`` yourself."""
    os.environ.setdefault("RAY_USAGE_STATS_ENABLED", "0")
    # A single-node cluster on the loopback address: Ray does this on macOS and Windows, and
    # this switch asks for it here too (read by Ray's processes; the driver's copy is set too
    # in case Ray was imported before).
    os.environ.setdefault(_SINGLE_NODE_ENV, "0")
    ray = _require_ray()
    if os.environ[_SINGLE_NODE_ENV] == "0":
        try:
            from ray._private import ray_constants

            ray_constants.ENABLE_RAY_CLUSTER = False
        except (ImportError, AttributeError):  # pragma: no cover - another Ray layout
            pass
    options: dict[str, Any] = {
        "num_cpus": num_cpus,
        "include_dashboard": False,
        "log_to_driver": False,
        "logging_level": "WARNING",
        **kwargs,
    }
    context = ray.init(**options)
    quiet_progress()
    logging.getLogger("ray.data").setLevel(logging.WARNING)  # no per-dataset INFO lines
    return context


def quiet_progress() -> None:
    """Turn Ray Data's progress bars off (they flood logs of batch jobs)."""
    from ray.data import DataContext

    ctx = DataContext.get_current()
    ctx.enable_progress_bars = False
    if hasattr(ctx, "enable_operator_progress_bars"):
        ctx.enable_operator_progress_bars = False
