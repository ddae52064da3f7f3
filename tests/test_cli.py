"""``hf-router``, end to end: a real subprocess (``python -m hf_router.cli``, the console
script's code) against the emulator over loopback; stdout, stderr and exit codes as a user sees
them."""

from __future__ import annotations

import json
import os
import socket
import struct
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from hf_router import RouterClient
from hf_router.cli._errors import (
    EXIT_AUTH,
    EXIT_ERROR,
    EXIT_NETWORK,
    EXIT_NOT_FOUND,
    EXIT_PAYMENT,
    EXIT_USAGE,
    exit_code,
)
from hf_router.errors import (
    AllProvidersFailedError,
    AttemptFailure,
    GenerationTimeoutError,
    PaymentRequiredError,
    ProviderError,
    RateLimitError,
)
from hf_router.testing import RouterEmulator

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
MODEL = "meta-llama/Llama-3.3-70B-Instruct"
QUESTION = "Which three rivers flow through Lyon, Paris and Bordeaux?"


@pytest.fixture
def cli_env(emulator: RouterEmulator, tmp_path: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "HUGGING_FACE"))}
    env.update(emulator.env())
    env.update(
        HF_TOKEN="hf_cli_test_token",
        HF_CHAT_COOKIE="hf-chat=cli-test-session; token=cli-test-login",
        HF_HOME=str(tmp_path / "hf-home"),
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        PYTHONPATH=str(ROOT),
        NO_COLOR="1",
        COLUMNS="200",
    )
    return env


def hf_router(
    env: dict[str, str], *args: str, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "hf_router.cli", *args],
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )


def chat_requests(emulator: RouterEmulator) -> list[dict]:
    return [r.json for r in emulator.requests if r.path == "/v1/chat/completions" and r.json]


def check_one_line_error(done: subprocess.CompletedProcess[str], code: int, *needles: str) -> None:
    assert done.returncode == code, done.stderr
    lines = done.stderr.strip().splitlines()  # notes (a fallback, ...) may come first
    errors = [line for line in lines if line.startswith("hf-router: error: ")]
    assert errors == lines[-1:], done.stderr
    assert "Traceback" not in done.stderr
    for needle in needles:
        assert needle in errors[0]
    assert "hf_cli_test_token" not in done.stderr + done.stdout


# -- chat ---------------------------------------------------------------------------------------
def test_chat_streams_the_answer_and_says_who_served(emulator, cli_env) -> None:
    done = hf_router(
        cli_env,
        "chat",
        MODEL,
        QUESTION,
        "--system",
        "Answer in one sentence.",
        "--max-tokens",
        "64",
        "--temperature",
        "0.2",
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout == QUESTION + "\n"
    assert f"served by {MODEL} via together" in done.stderr
    assert "tokens: " in done.stderr
    [sent] = chat_requests(emulator)
    assert sent["stream"] is True
    assert sent["messages"][0] == {"role": "system", "content": "Answer in one sentence."}
    assert sent["max_tokens"] == 64 and sent["temperature"] == 0.2


def test_chat_reads_stdin_and_pins_a_provider(emulator, cli_env) -> None:
    long_prompt = "Summarise this report. " + " ".join(
        f"Line {i} of the report." for i in range(200)
    )
    done = hf_router(cli_env, "chat", MODEL, "--provider", "cerebras", stdin=long_prompt)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == long_prompt.strip()
    assert "via cerebras" in done.stderr
    assert chat_requests(emulator)[-1]["model"] == f"{MODEL}:cerebras"


def test_chat_reports_a_fallback_on_stderr(emulator, cli_env) -> None:
    emulator.set_fault("402", model=MODEL, provider="together")
    done = hf_router(cli_env, "chat", MODEL, QUESTION)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == QUESTION
    assert "fallback: attempt 1" in done.stderr and "402" in done.stderr
    assert "via cerebras (attempt 2)" in done.stderr


def test_chat_json_prints_events_as_json_lines(emulator, cli_env) -> None:
    done = hf_router(cli_env, "chat", "deepseek-ai/DeepSeek-R1", QUESTION, "--json")
    assert done.returncode == 0, done.stderr
    events = [json.loads(line) for line in done.stdout.splitlines()]
    types = [e["type"] for e in events]
    assert types[0] == "provider_info" and types[-1] == "finish"
    assert "reasoning_delta" in types and "usage" in types
    assert "".join(e["text"] for e in events if e["type"] == "text_delta") == QUESTION
    assert events[-1]["reason"] == "stop"


# -- errors -------------------------------------------------------------------------------------
def test_usage_errors_exit_2(cli_env) -> None:
    no_prompt = hf_router(cli_env, "chat", MODEL, stdin="")
    assert no_prompt.returncode == EXIT_USAGE
    assert "PROMPT" in no_prompt.stderr
    bad_model = hf_router(cli_env, "chat", "not a model id", QUESTION)
    check_one_line_error(bad_model, EXIT_USAGE, "not a model id")
    bad_number = hf_router(cli_env, "image", "org/pic", "a fox", "-n", "11")
    assert bad_number.returncode == EXIT_USAGE


def test_missing_token_exits_3_and_says_so(cli_env) -> None:
    env = {k: v for k, v in cli_env.items() if k != "HF_TOKEN"}
    done = hf_router(env, "chat", MODEL, QUESTION)
    check_one_line_error(done, EXIT_AUTH, "no Hugging Face token was found", "HF_TOKEN")


def test_payment_exits_4(emulator, cli_env) -> None:
    emulator.set_fault("402", model=MODEL)
    done = hf_router(cli_env, "chat", MODEL, QUESTION)
    check_one_line_error(done, EXIT_PAYMENT, "PaymentRequiredError", "no credits")


def test_unknown_provider_exits_5(cli_env) -> None:
    done = hf_router(cli_env, "chat", f"{MODEL}:nowhere", QUESTION)
    check_one_line_error(done, EXIT_NOT_FOUND, "not supported")


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_network_failure_exits_6_and_debug_shows_the_traceback(cli_env) -> None:
    env = {**cli_env, "HF_ROUTER_BASE_URL": f"http://127.0.0.1:{_closed_port()}/v1"}
    done = hf_router(env, "chat", MODEL, QUESTION)
    check_one_line_error(done, EXIT_NETWORK)
    debug = hf_router(env, "--debug", "chat", MODEL, QUESTION)
    assert debug.returncode == EXIT_NETWORK
    assert "Traceback (most recent call last)" in debug.stderr
    assert debug.stderr.strip().splitlines()[-1].startswith("hf-router: error: ")
    models = hf_router(env, "models")
    assert models.returncode == EXIT_NETWORK
    assert models.stderr.startswith("hf-router: error: ")


def test_exit_codes_of_mixed_and_uniform_plans() -> None:
    def failed(*errors):
        return AllProvidersFailedError(
            [AttemptFailure(i, MODEL, "p", e) for i, e in enumerate(errors, 1)]
        )

    pay, limit = PaymentRequiredError("no credits"), RateLimitError("slow down")
    assert exit_code(failed(pay, limit)) == EXIT_PAYMENT
    assert exit_code(failed(pay, ProviderError("down"))) == EXIT_ERROR
    assert exit_code(GenerationTimeoutError("still running")) == EXIT_ERROR


def test_missing_typer_prints_the_install_hint(cli_env) -> None:
    code = "import sys; sys.modules['typer'] = None; from hf_router.cli import main; sys.exit(main(['models']))"
    done = subprocess.run(
        [sys.executable, "-c", code], env=cli_env, capture_output=True, text=True, timeout=60
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        'hf-router: the command line needs typer and rich: pip install "hf-router[cli]"'
    )


# -- models -------------------------------------------------------------------------------------
def test_models_table_filters_and_json(emulator, cli_env) -> None:
    emulator.add_model(MODEL)
    emulator.add_model(
        "Qwen/Qwen2.5-72B-Instruct",
        providers=["cerebras", {"provider": "hyperbolic", "context_length": 32768}],
    )
    table = hf_router(cli_env, "models")
    assert table.returncode == 0, table.stderr
    assert MODEL in table.stdout and "Qwen/Qwen2.5-72B-Instruct" in table.stdout
    assert "32,768-131,072" in table.stdout  # the Qwen row's context range
    assert "together, cerebras" in table.stdout
    searched = hf_router(cli_env, "models", "--search", "QWEN")
    assert "Qwen/Qwen2.5-72B-Instruct" in searched.stdout and MODEL not in searched.stdout
    by_provider = hf_router(cli_env, "models", "--provider", "together", "--json")
    rows = [json.loads(line) for line in by_provider.stdout.splitlines()]
    # the emulator also lists its default vision model, served by together too
    assert [r["id"] for r in rows if r["id"] != "Qwen/Qwen2.5-VL-72B-Instruct"] == [MODEL]
    rows = [r for r in rows if r["id"] == MODEL]
    assert {p["provider"] for p in rows[0]["providers"]} >= {"together", "cerebras"}


# -- media --------------------------------------------------------------------------------------
def test_image_saves_files_and_prints_their_paths(emulator, cli_env, tmp_path) -> None:
    out = tmp_path / "pictures"
    done = hf_router(
        cli_env,
        "image",
        "black-forest-labs/FLUX.1-dev",
        "a red fox in the snow",
        "-n",
        "2",
        "--aspect-ratio",
        "16:9",
        "-o",
        str(out),
    )
    assert done.returncode == 0, done.stderr
    paths = [Path(line) for line in done.stdout.splitlines()]
    assert len(paths) == 2 and len(set(paths)) == 2
    for path in paths:
        assert path.parent == out
        data = path.read_bytes()
        assert data[:8] == b"\x89PNG\r\n\x1a\n"
        width, height = struct.unpack(">II", data[16:24])
        assert width > height  # 16:9
    assert "served by black-forest-labs/FLUX.1-dev via fal-ai" in done.stderr


def test_video_saves_an_mp4(emulator, cli_env, tmp_path) -> None:
    done = hf_router(
        cli_env, "video", "Wan-AI/Wan2.1-T2V-14B:novita", "waves at dusk", "-o", str(tmp_path)
    )
    assert done.returncode == 0, done.stderr
    [path] = [Path(line) for line in done.stdout.splitlines()]
    assert path.read_bytes()[4:8] == b"ftyp"
    assert "via novita" in done.stderr


def test_failed_media_job_exits_1(emulator, cli_env, tmp_path) -> None:
    emulator.set_fault("job_failed", model="Wan-AI/Wan2.1-T2V-14B")
    done = hf_router(cli_env, "video", "Wan-AI/Wan2.1-T2V-14B:novita", "waves", "-o", str(tmp_path))
    check_one_line_error(done, EXIT_ERROR)


# -- search -------------------------------------------------------------------------------------
def test_search_prints_the_answer_then_numbered_sources(emulator, cli_env) -> None:
    done = hf_router(cli_env, "search", "What is new in Python 3.13?")
    assert done.returncode == 0, done.stderr
    lines = done.stdout.splitlines()
    # the answer cites its sources as markdown links, as HuggingChat 2026 does
    assert lines[0].startswith("According to 3 sources: What is new in Python 3.13? ([1](https://")
    assert "Sources:" in lines
    numbered = [line for line in lines if line.startswith("[")]
    assert [n[:3] for n in numbered] == ["[1]", "[2]", "[3]"]
    assert numbered[0].endswith("https://source1.example.com/what-is-new-in-python-3-13")


def test_search_without_a_cookie_exits_3(cli_env) -> None:
    env = {k: v for k, v in cli_env.items() if k != "HF_CHAT_COOKIE"}
    done = hf_router(env, "search", "anything")
    check_one_line_error(done, EXIT_AUTH, "hf-chat")


# -- emulator -----------------------------------------------------------------------------------
@pytest.fixture
def emulator_process(cli_env) -> Iterator[str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "hf_router.cli", "emulator", "--port", "0"],
        env=cli_env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        ready = proc.stdout.readline().strip()
        assert ready.startswith("READY http://127.0.0.1:"), ready
        yield ready.split(" ", 1)[1]
    finally:
        proc.terminate()
        proc.wait(timeout=20)


def test_emulator_command_serves_the_router(emulator_process: str) -> None:
    with RouterClient(base_url=emulator_process + "/v1", api_key="hf_x") as client:
        result = client.chat(MODEL, [{"role": "user", "content": QUESTION}])
    assert result.text == QUESTION
    assert result.provider_info is not None and result.provider_info.provider == "together"
