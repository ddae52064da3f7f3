"""The ``hf-router`` commands (typer). Configuration comes from the same environment variables
as the library: ``HF_TOKEN``, ``HF_ROUTER_BASE_URL``, ``HF_ENDPOINT``, ``HF_CHAT_BASE_URL``,
``HF_CHAT_COOKIE``."""

from __future__ import annotations

import logging
import os
import subprocess
import sys
import traceback
from contextlib import closing
from typing import Annotated

import typer
from rich.console import Console

from hf_router import HuggingChatClient, MediaClient, RouterClient, RouterModel, __version__
from hf_router.errors import HFRouterError

from ._errors import EXIT_ERROR, EXIT_INTERRUPTED, EXIT_NETWORK, exit_code, one_line
from ._render import ChatPrinter, media_progress, models_json, models_table, print_search

__all__ = ["app", "run"]

app = typer.Typer(
    name="hf-router",
    help="Hugging Face Inference Providers from the command line: chat, models, images, videos, "
    "HuggingChat web search and the local emulator. Token: HF_TOKEN (or huggingface-cli login).",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


class _State:
    debug = False


def _err() -> Console:
    return Console(stderr=True, highlight=False, soft_wrap=True)


def _version(value: bool) -> None:
    if value:
        print(f"hf-router {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    debug: Annotated[bool, typer.Option("--debug", help="Show the traceback of an error.")] = False,
    version: Annotated[
        bool, typer.Option("--version", callback=_version, is_eager=True, help="Print the version.")
    ] = False,
) -> None:
    """Global options."""
    _State.debug = debug


# -- chat ---------------------------------------------------------------------------------------
@app.command()
def chat(
    model: Annotated[str, typer.Argument(help="Model id, e.g. meta-llama/Llama-3.3-70B-Instruct")],
    prompt: Annotated[
        str | None, typer.Argument(help="The question; read from stdin when omitted.")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Pin an inference provider.")
    ] = None,
    system: Annotated[str | None, typer.Option("--system", "-s", help="A system prompt.")] = None,
    max_tokens: Annotated[
        int | None, typer.Option("--max-tokens", min=1, help="Answer length limit (tokens).")
    ] = None,
    temperature: Annotated[
        float | None, typer.Option("--temperature", "-t", min=0.0, max=2.0, help="0 to 2.")
    ] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print every event as a JSON line on stdout.")
    ] = False,
) -> None:
    """Stream an answer; who served it, fallbacks and trimming go to stderr."""
    text = prompt if prompt is not None else _read_stdin()
    messages = [{"role": "system", "content": system}] if system else []
    messages.append({"role": "user", "content": text})
    params: dict[str, object] = {}
    if max_tokens is not None:
        params["max_tokens"] = max_tokens
    if temperature is not None:
        params["temperature"] = temperature
    printer = ChatPrinter(sys.stdout, _err(), as_json=as_json)
    with (
        RouterClient(provider=provider) as client,
        closing(client.stream_chat(model, messages, **params)) as events,
    ):
        try:
            for event in events:
                printer.feed(event)
        finally:
            printer.finish_line()


def _read_stdin() -> str:
    if sys.stdin is None or sys.stdin.isatty():
        raise typer.BadParameter("give a PROMPT, or pipe one on stdin", param_hint="PROMPT")
    text = sys.stdin.read()
    if not text.strip():
        raise typer.BadParameter("the prompt read from stdin is empty", param_hint="PROMPT")
    return text


# -- models -------------------------------------------------------------------------------------
class _Warnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())


@app.command()
def models(
    search: Annotated[
        str | None, typer.Option("--search", help="Only ids containing TEXT (any case).")
    ] = None,
    provider: Annotated[
        str | None, typer.Option("--provider", "-p", help="Only models this provider serves live.")
    ] = None,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON line per model.")] = False,
) -> None:
    """The router's chat models (GET /v1/models)."""
    logger = logging.getLogger("hf_router")
    caught = _Warnings()
    logger.addHandler(caught)
    try:
        with RouterClient() as client:
            listed = client.list_models()
    finally:
        logger.removeHandler(caught)
    if not listed and caught.messages:  # the catalog never raises: it logs and lists nothing
        _err().print(f"hf-router: error: {one_line(caught.messages[-1])}", markup=False)
        raise typer.Exit(EXIT_NETWORK)
    chosen = [m for m in listed if _matches(m, search, provider)]
    if as_json:
        for line in models_json(chosen):
            print(line)
        return
    Console(width=None if sys.stdout.isatty() else 200).print(models_table(chosen))


def _matches(model: RouterModel, search: str | None, provider: str | None) -> bool:
    if search and search.lower() not in model.id.lower():
        return False
    return not provider or any(p.provider == provider for p in model.live_providers)


# -- image / video ------------------------------------------------------------------------------
_N = Annotated[int, typer.Option("-n", "--number", min=1, max=10, help="How many (1-10).")]
_ASPECT = Annotated[str | None, typer.Option("--aspect-ratio", "-a", help="e.g. 16:9, 1:1, 9:16.")]
_OUT = Annotated[
    str | None,
    typer.Option("--output-dir", "-o", help="Where to save (default ~/.cache/hf-router/media)."),
]
_MODEL = Annotated[str, typer.Argument(help="Model id, optionally :provider.")]
_PROMPT = Annotated[str, typer.Argument(help="What to generate.")]


def _generate(
    kind: str, model: str, prompt: str, n: int, aspect: str | None, out: str | None
) -> None:
    options: dict[str, object] = {"n": n}
    if aspect:
        options["aspect_ratio"] = aspect
    with MediaClient(output_dir=out) as client:
        events = client.stream_media(kind, model, prompt, **options)
        results = media_progress(_err(), events, total=n)
    for result in results:
        print(result.path or result.url)


@app.command()
def image(
    model: _MODEL, prompt: _PROMPT, n: _N = 1, aspect_ratio: _ASPECT = None, output_dir: _OUT = None
) -> None:
    """Generate images; prints the saved files' paths."""
    _generate("image", model, prompt, n, aspect_ratio, output_dir)


@app.command()
def video(
    model: _MODEL, prompt: _PROMPT, n: _N = 1, aspect_ratio: _ASPECT = None, output_dir: _OUT = None
) -> None:
    """Generate videos; prints the saved files' paths."""
    _generate("video", model, prompt, n, aspect_ratio, output_dir)


# -- search -------------------------------------------------------------------------------------
@app.command()
def search(
    query: Annotated[str, typer.Argument(help="The question.")],
    model: Annotated[
        str | None, typer.Option("--model", "-m", help="HuggingChat model (default: its own).")
    ] = None,
) -> None:
    """HuggingChat web search (cookie: HF_CHAT_COOKIE): the answer, then numbered sources."""
    with HuggingChatClient() as client:
        result = client.search(query, model=model)
    print_search(Console(highlight=False, soft_wrap=True), result.answer, result.sources)


# -- emulator -----------------------------------------------------------------------------------
@app.command()
def emulator(
    port: Annotated[int, typer.Option("--port", help="Port (0: a free one).")] = 8080,
    host: Annotated[str, typer.Option("--host", help="Interface to bind.")] = "127.0.0.1",
) -> None:
    """Run the local router emulator in the foreground (same as hf-router-emulator; needs the
    'testing' extra). Prints READY http://HOST:PORT once listening."""
    command = [sys.executable, "-m", "hf_router.testing", "--port", str(port), "--host", host]
    sys.stdout.flush()
    if os.name == "posix":  # become the emulator: signals reach it, no orphan is left behind
        os.execv(sys.executable, command)
    try:  # pragma: no cover - Windows
        code = subprocess.call(command)
    except KeyboardInterrupt:  # pragma: no cover
        code = EXIT_INTERRUPTED
    raise typer.Exit(code)  # pragma: no cover


# -- entry point --------------------------------------------------------------------------------
def run(argv: list[str]) -> int:
    """Run the app; typed errors become one line on stderr and a distinct exit code."""
    try:
        app(argv, prog_name="hf-router", standalone_mode=True)
    except SystemExit as done:  # typer's own exits: usage errors (2), --help, Exit(code)
        code = done.code
        return code if isinstance(code, int) else (0 if code is None else EXIT_ERROR)
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED
    except HFRouterError as exc:
        return _fail(exc, exit_code(exc))
    except OSError as exc:  # e.g. an unwritable --output-dir
        return _fail(exc, EXIT_ERROR)
    return 0


def _fail(exc: BaseException, code: int) -> int:
    if _State.debug or os.environ.get("HF_ROUTER_DEBUG"):
        traceback.print_exception(type(exc), exc, exc.__traceback__, file=sys.stderr)
    print(f"hf-router: error: {one_line(exc)}", file=sys.stderr)
    return code
