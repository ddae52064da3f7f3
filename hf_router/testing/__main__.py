"""``hf-router-emulator`` / ``python -m hf_router.testing``: run the emulator in the foreground."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
from collections.abc import Sequence


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hf-router-emulator", description="Local emulator of the Hugging Face router."
    )
    parser.add_argument("--host", default="127.0.0.1", help="interface to bind (default 127.0.0.1)")
    parser.add_argument("--port", type=int, default=0, help="port to bind (default 0: a free one)")
    parser.add_argument(
        "--log-level",
        default="warning",
        choices=["critical", "error", "warning", "info", "debug"],
        help="uvicorn log level (default warning)",
    )
    return parser


async def _serve(host: str, port: int, log_level: str) -> None:
    import uvicorn

    from .server.app import create_app, install_log_filter

    config = uvicorn.Config(
        create_app(),
        host=host,
        port=port,
        log_level=log_level,
        access_log=log_level in ("info", "debug"),
        lifespan="off",
        loop="asyncio",
        http="h11",
        server_header=False,
        timeout_graceful_shutdown=2,
    )
    install_log_filter()
    server = uvicorn.Server(config)
    task = asyncio.ensure_future(server.serve())
    while not server.started:
        if task.done():
            await task
            raise SystemExit(f"could not listen on {host}:{port}")
        await asyncio.sleep(0.005)
    bound = server.servers[0].sockets[0].getsockname()[1]
    print(f"READY http://{host}:{bound}", flush=True)
    await task


def main(argv: Sequence[str] | None = None) -> None:
    """Parse arguments, serve until interrupted; prints ``READY http://HOST:PORT`` once listening."""
    args = _parser().parse_args(argv)
    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(_serve(args.host, args.port, args.log_level))


if __name__ == "__main__":
    main()
