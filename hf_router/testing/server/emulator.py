"""``RouterEmulator``: runs the emulator (in a thread or a process) and configures it over HTTP."""

from __future__ import annotations

import asyncio
import os
import queue
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import IO, Any

import httpx

from ..core.state import LoggedRequest

__all__ = ["RouterEmulator"]

_PACKAGE_ROOT = Path(__file__).resolve().parents[2]


class RouterEmulator:
    """A local Hugging Face router emulator on ``127.0.0.1`` (random free port by default).

    ``RouterEmulator()`` serves from a daemon thread of this process (uvicorn);
    ``RouterEmulator(process=True)`` runs ``python -m hf_router.testing`` in a child process.
    Use it as a (sync or async) context manager, or call :meth:`start` and :meth:`stop`.
    Configuration methods go through the control endpoints, so both modes behave the same.
    """

    def __init__(
        self,
        *,
        process: bool = False,
        host: str = "127.0.0.1",
        port: int = 0,
        startup_timeout: float = 20.0,
    ) -> None:
        self.process = process
        self.host = host
        self.port = port
        self.startup_timeout = startup_timeout
        self._url: str | None = None
        self._client: httpx.Client | None = None
        self._server: Any = None
        self._thread: threading.Thread | None = None
        self._proc: subprocess.Popen[str] | None = None
        self._stderr: IO[bytes] | None = None

    # -- addresses ---------------------------------------------------------------------------
    @property
    def url(self) -> str:
        """Root URL, e.g. ``http://127.0.0.1:PORT``."""
        if self._url is None:
            raise RuntimeError("the emulator is not running; use `with RouterEmulator() as emu:`")
        return self._url

    @property
    def base_url(self) -> str:
        """The OpenAI-compatible base URL (``url + "/v1"``), for ``HF_ROUTER_BASE_URL``."""
        return self.url + "/v1"

    @property
    def hub_url(self) -> str:
        """The Hub endpoint (``url``), for ``HF_ENDPOINT``."""
        return self.url

    def env(self) -> dict[str, str]:
        """Environment variables pointing a client at this emulator."""
        return {
            "HF_ROUTER_BASE_URL": self.base_url,
            "HF_ENDPOINT": self.hub_url,
            "HF_CHAT_BASE_URL": self.url + "/chat",
        }

    @property
    def running(self) -> bool:
        """Whether :meth:`start` succeeded and :meth:`stop` has not been called."""
        return self._url is not None

    # -- lifecycle ---------------------------------------------------------------------------
    def start(self) -> RouterEmulator:
        """Start serving and wait until the server listens; returns ``self``."""
        if self._url is not None:
            return self
        try:
            port = self._start_process() if self.process else self._start_thread()
        except BaseException:
            self.stop()
            raise
        self._url = f"http://{self.host}:{port}"
        self._client = httpx.Client(base_url=self._url, timeout=30.0, trust_env=False)
        return self

    def _start_thread(self) -> int:
        import uvicorn

        from .app import create_app, install_log_filter

        config = uvicorn.Config(
            create_app(),
            host=self.host,
            port=self.port,
            log_level="warning",
            log_config=None,
            access_log=False,
            lifespan="off",
            loop="asyncio",
            http="h11",
            server_header=False,
            timeout_graceful_shutdown=2,
        )
        install_log_filter()
        self._server = server = uvicorn.Server(config)
        self._thread = threading.Thread(target=server.run, name="hf-router-emulator", daemon=True)
        self._thread.start()
        deadline = time.monotonic() + self.startup_timeout
        while not server.started:
            if not self._thread.is_alive():
                raise RuntimeError(f"the emulator could not listen on {self.host}:{self.port}")
            if time.monotonic() > deadline:
                raise TimeoutError("the emulator did not start in time")
            time.sleep(0.002)
        return int(server.servers[0].sockets[0].getsockname()[1])

    def _start_process(self) -> int:
        env = dict(os.environ)
        env["PYTHONPATH"] = os.pathsep.join(
            p for p in (str(_PACKAGE_ROOT), env.get("PYTHONPATH")) if p
        )
        self._stderr = tempfile.TemporaryFile()  # noqa: SIM115 (closed by stop())
        command = [
            sys.executable,
            "-m",
            "hf_router.testing",
            "--host",
            self.host,
            "--port",
            str(self.port),
        ]
        self._proc = proc = subprocess.Popen(
            command, stdout=subprocess.PIPE, stderr=self._stderr, text=True, env=env
        )
        lines: queue.Queue[str] = queue.Queue()
        stdout = proc.stdout
        assert stdout is not None
        threading.Thread(target=lambda: lines.put(stdout.readline()), daemon=True).start()
        try:
            line = lines.get(timeout=self.startup_timeout)
        except queue.Empty:
            raise TimeoutError("the emulator process did not start in time") from None
        if not line.startswith("READY http"):
            raise RuntimeError(
                f"the emulator process failed to start: {line!r}{self._stderr_text()}"
            )
        return int(line.strip().rsplit(":", 1)[1])

    def _stderr_text(self) -> str:
        if self._stderr is None:
            return ""
        self._stderr.seek(0)
        return "\n" + self._stderr.read()[-4000:].decode(errors="replace")

    def stop(self) -> None:
        """Stop serving (idempotent)."""
        self._url = None
        if self._client is not None:
            self._client.close()
            self._client = None
        if self._server is not None and self._thread is not None:
            self._server.should_exit = True
            self._thread.join(5)
            if self._thread.is_alive():
                self._server.force_exit = True
                self._thread.join(5)
        self._server = self._thread = None
        if self._proc is not None:
            self._proc.terminate()
            try:
                self._proc.wait(10)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._stderr is not None:
            self._stderr.close()
            self._stderr = None

    def __enter__(self) -> RouterEmulator:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    async def __aenter__(self) -> RouterEmulator:
        return await asyncio.to_thread(self.start)

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await asyncio.to_thread(self.stop)

    def __repr__(self) -> str:
        mode = "process" if self.process else "thread"
        return f"RouterEmulator({mode}, url={self._url or 'not running'})"

    # -- control -----------------------------------------------------------------------------
    def _control(self, method: str, what: str, payload: Mapping[str, Any] | None = None) -> Any:
        if self._client is None:
            raise RuntimeError("the emulator is not running")
        response = self._client.request(method, f"/_emulator/{what}", json=payload)
        if response.status_code == 400:
            raise ValueError(response.json().get("error", response.text))
        response.raise_for_status()
        return response.json()

    @property
    def requests(self) -> list[LoggedRequest]:
        """The request log (oldest first); control calls are not logged."""
        return [LoggedRequest.from_dict(item) for item in self._control("GET", "requests")]

    def clear_requests(self) -> None:
        """Empty the request log."""
        self._control("DELETE", "requests")

    def reset(self) -> None:
        """Clear the log, faults, cassettes and added models (and restart the id counters)."""
        self._control("POST", "reset")

    def set_fault(
        self,
        spec: str,
        model: str | None = None,
        provider: str | None = None,
        times: int | None = None,
    ) -> None:
        """Apply a fault spec (see docs/emulator.md) to matching requests.

        ``model``/``provider`` ``None`` match any; ``times`` limits it to the first N matching
        requests. Raises ``ValueError`` on a malformed spec.
        """
        payload = {"spec": spec, "model": model, "provider": provider, "times": times}
        self._control("POST", "faults", payload)

    def clear_faults(self) -> None:
        """Remove every fault set with :meth:`set_fault`."""
        self._control("DELETE", "faults")

    def add_model(
        self,
        model_id: str,
        providers: Sequence[str | Mapping[str, Any]] | None = None,
        context_length: int | None = None,
        mapping_form: str = "dict",
        task: str = "conversational",
        reasoning: str | bool | None = None,
        provider_ids: Mapping[str, str] | None = None,
        overflow: str | None = None,
    ) -> None:
        """Register (or replace) a model.

        ``providers``: names (live) or dicts ``{"provider", "status", "providerId", "task",
        "context_length", "adapter", "adapterWeightsPath"}`` (a provider's own context
        length; a LoRA adapter: ``"adapter": "lora"`` and the weights file in the repo);
        default together, cerebras (live), novita (staging). ``reasoning``: ``None`` (by name:
        ids containing ``R1``/``reason`` get ``"field"``), ``"field"``, ``"think_tags"`` or
        ``"none"``. ``provider_ids``: ``{provider: providerId}``. ``overflow``: enforce the
        context window, refusing longer requests the way one kind of server does
        (``"openai"``, ``"vllm"``, ``"tgi"``, ``"anthropic"``, ``"llamacpp"``, ``"bare"``; see
        docs/emulator.md). ``ValueError`` if invalid.
        """
        payload = {
            "model_id": model_id,
            "providers": list(providers) if providers is not None else None,
            "context_length": context_length,
            "mapping_form": mapping_form,
            "task": task,
            "reasoning": reasoning,
            "provider_ids": dict(provider_ids) if provider_ids is not None else None,
            "overflow": overflow,
        }
        self._control("POST", "models", payload)

    def load_cassette(self, path: str | os.PathLike[str]) -> int:
        """Load a vcrpy YAML cassette for replay; returns the number of interactions."""
        result = self._control("POST", "cassettes", {"path": str(Path(path).resolve())})
        return int(result["interactions"])

    # -- media -------------------------------------------------------------------------------
    def configure_media(self, polls: int = 1) -> None:
        """Set how many polls a new media job needs before it finishes (default 1: the first
        poll answers completed; 0 finishes before any poll). ``ValueError`` if negative."""
        self._control("POST", "media", {"polls": polls})

    @property
    def jobs(self) -> list[dict[str, Any]]:
        """The media jobs (oldest first): ``{"id", "provider", "model", "provider_model",
        "kind", "prompt", "status", "polls", "polls_needed", "file", "input"}``."""
        return list(self._control("GET", "jobs"))

    # -- HuggingChat -------------------------------------------------------------------------
    def add_chat_model(
        self,
        model: str,
        web_search_form: str = "2024",
        reasoning: bool | None = None,
    ) -> None:
        """Make ``model`` a known HuggingChat model (or reconfigure it).

        ``web_search_form``: ``"2024"`` (``subtype`` updates, ``context`` snippets) or
        ``"2023"`` (``messageType`` updates, ``text`` snippets). ``reasoning``: ``None`` (by
        name: ids containing ``R1``/``reason``), ``True`` or ``False``. ``ValueError`` if invalid.
        """
        payload = {"model": model, "web_search_form": web_search_form, "reasoning": reasoning}
        self._control("POST", "chat_models", payload)

    def configure_huggingchat(self, generation: str = "2026") -> None:
        """Speak chat-ui's ``generation`` on the HuggingChat routes: ``"2026"`` (the current
        one, the default: MCP tools, the ``omni`` alias, ``hf-chat`` coupled with the
        ``token`` cookie, the replay endpoint) or ``"2024"`` (``webSearch`` updates,
        ``__data.json``, ``hf-chat`` alone). A reset goes back to ``"2026"``.
        ``ValueError`` for another value."""
        self._control("POST", "huggingchat", {"generation": generation})

    @property
    def conversations(self) -> list[dict[str, Any]]:
        """The HuggingChat conversations (oldest first): ``{"id", "model", "title",
        "preprompt", "messages": [{"id", "from", "content", "files"}], "files": [sha, ...]}``."""
        return list(self._control("GET", "conversations"))
