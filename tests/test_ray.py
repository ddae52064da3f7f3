"""hf_router.ray on a real local Ray cluster (2 CPUs, loopback, quiet) against the emulator in
process mode: 500 rows with faults, every row back once with an answer or an error; and a
pickled ChatHFRouter used inside a Ray task. Deselect with ``-m "not ray"``."""

from __future__ import annotations

import collections
import logging
import os
from collections.abc import Iterator
from typing import Any

import pytest

ray = pytest.importorskip("ray", reason='Ray is not installed (pip install "hf-router[ray]")')
pytest.importorskip("ray.data", reason="Ray Data is not installed")

from hf_router import RetryPolicy  # noqa: E402
from hf_router.errors import InvalidInputError  # noqa: E402
from hf_router.ray import RESULT_COLUMNS, RouterChat, chat_dataset, init_local  # noqa: E402
from hf_router.testing import RouterEmulator  # noqa: E402

pytestmark = [pytest.mark.ray, pytest.mark.slow]

SECRET = "hf_ray_SECRET_5e4d3c2b1a"
# model -> (fault, provider it applies to, what a row of that model ends with)
FAULTS: dict[str, tuple[str | None, str | None, str | None]] = {
    "ray/ok": (None, None, None),
    "ray/r402": ("402", "together", None),  # falls back to nebius and answers
    "ray/r429": ("429:retry_after=0", None, "AllProvidersFailedError"),
    "ray/r400": ("400", None, "BadRequestError"),
    "ray/r500": ("500", None, "AllProvidersFailedError"),
    "ray/cut": ("cut_after=1", None, "StreamInterruptedError"),  # text had arrived: no restart
}
CYCLE = ["ray/ok", "ray/ok", "ray/r402", "ray/ok", "ray/r400", "ray/ok", "ray/r500", "ray/cut"]


def _model_of(i: int) -> str:
    return "ray/r429" if i % 50 == 7 else CYCLE[i % len(CYCLE)]


@pytest.fixture(scope="module")
def cluster() -> Iterator[RouterEmulator]:
    saved = dict(os.environ)
    with RouterEmulator(process=True) as emu:
        for model, (spec, provider, _) in FAULTS.items():
            emu.add_model(model, providers=["together", "nebius"])
            if spec:
                emu.set_fault(spec, model=model, provider=provider)
        # what the workers inherit: the emulator's URLs and a token of their own
        os.environ.update(emu.env())
        os.environ["HF_TOKEN"] = "hf_worker_token"
        init_local(num_cpus=2)
        logging.getLogger("ray.data").setLevel(logging.WARNING)
        try:
            yield emu
        finally:
            ray.shutdown()
            os.environ.clear()
            os.environ.update(saved)


def test_500_rows_with_faults_each_come_back_once(cluster: RouterEmulator) -> None:
    items = [
        {
            "row_id": i,
            "prompt": f"Row {i}: classify the ticket about invoice {i * 7}.",
            "model": _model_of(i),
        }
        for i in range(500)
    ]
    out = chat_dataset(
        ray.data.from_items(items),
        "ray/ok",
        id_columns=["row_id"],
        model_column="model",
        actors=2,
        max_in_flight=32,
        client={"retry_policy": RetryPolicy(max_retries=1, initial_backoff=0.01, jitter=0.0)},
        max_tokens=64,
    )
    rows = out.take_all()
    assert collections.Counter(r["row_id"] for r in rows) == collections.Counter(range(500))
    assert set(rows[0]) == {"row_id", *RESULT_COLUMNS}
    for row in rows:
        i = row["row_id"]
        model = _model_of(i)
        expected_error = FAULTS[model][2]
        if expected_error is None:
            assert row["error_type"] is None, row
            assert row["answer"] == items[i]["prompt"]
            assert row["provider"] == ("nebius" if model == "ray/r402" else "together")
            assert row["fallbacks"] == (1 if model == "ray/r402" else 0)
            assert row["input_tokens"] > 0 and row["output_tokens"] > 0
            assert row["finish_reason"] == "stop"
        else:
            assert row["answer"] is None, row
            assert row["error_type"] == expected_error, row
            assert row["error"] and SECRET not in row["error"]


def test_a_pickled_chat_model_answers_inside_a_ray_task(cluster: RouterEmulator) -> None:
    from langchain_hf_router import ChatHFRouter

    llm = ChatHFRouter(model="ray/ok", api_key=SECRET)

    def ask(model: Any, prompt: str) -> str:
        return model.invoke(prompt).content

    task = ray.remote(num_cpus=0)(ask)
    prompt = "Answer from inside a Ray task."
    assert ray.get(task.remote(llm, prompt), timeout=120) == prompt


def test_the_token_never_rides_in_the_actor_arguments() -> None:
    with pytest.raises(InvalidInputError, match="HF_TOKEN"):
        RouterChat("ray/ok", client={"api_key": SECRET})
    with pytest.raises(InvalidInputError, match="max_in_flight"):
        RouterChat("ray/ok", max_in_flight=0)


def test_a_shared_rate_limit_spaces_the_requests_of_all_actors(cluster: RouterEmulator) -> None:
    cluster.clear_requests()
    items = [{"prompt": f"Rate-limited row {i}."} for i in range(20)]
    rows = chat_dataset(
        ray.data.from_items(items), "ray/ok", actors=2, requests_per_second=10, max_tokens=16
    ).take_all()
    assert sorted(r["answer"] for r in rows) == sorted(i["prompt"] for i in items)
    times = sorted(r.time for r in cluster.requests if r.path.endswith("/chat/completions"))
    assert len(times) == 20
    # 10 per second over both actors: the 20th send is at least ~1.9 s after the first
    assert times[-1] - times[0] >= 1.5


def test_a_message_list_column_with_a_system_prompt(cluster: RouterEmulator) -> None:
    cluster.clear_requests()
    items = [
        {"key": f"k{i}", "chat": [{"role": "user", "content": f"Conversation {i} asks this."}]}
        for i in range(10)
    ]
    rows = chat_dataset(
        ray.data.from_items(items),
        "ray/ok",
        messages_column="chat",
        system_prompt="Answer briefly.",
        id_columns=["key"],
        actors=1,
        temperature=0,
    ).take_all()
    assert {r["key"]: r["answer"] for r in rows} == {
        f"k{i}": f"Conversation {i} asks this." for i in range(10)
    }
    bodies = [r.json for r in cluster.requests if r.path.endswith("/chat/completions")]
    assert len(bodies) == 10
    assert all(b["messages"][0] == {"role": "system", "content": "Answer briefly."} for b in bodies)
    assert all(b["temperature"] == 0 for b in bodies)


def test_the_local_cluster_is_on_the_loopback_address(cluster: RouterEmulator) -> None:
    assert ray.util.get_node_ip_address() == "127.0.0.1"
    assert {node["NodeManagerAddress"] for node in ray.nodes()} == {"127.0.0.1"}
