"""``hf-router``: the command line (chat, models, image, video, search, emulator).

Needs the ``cli`` extra (typer and rich): ``pip install "hf-router[cli]"``. This package sits
outside the three domains and uses only public ``hf_router`` names; nothing in the core imports
it. ``main()`` is the console script.
"""

from __future__ import annotations

import sys
from collections.abc import Sequence

__all__ = ["main"]

INSTALL_HINT = 'hf-router: the command line needs typer and rich: pip install "hf-router[cli]"'


def main(argv: Sequence[str] | None = None) -> int:
    """Run ``hf-router`` with ``argv`` (default ``sys.argv[1:]``); returns the exit code."""
    try:
        from ._app import run
    except ImportError as exc:
        if exc.name in ("typer", "rich", "click") or str(exc.name).startswith(("rich.", "typer.")):
            print(INSTALL_HINT, file=sys.stderr)
            return 1
        raise
    return run(list(sys.argv[1:] if argv is None else argv))


def console_script() -> None:  # pragma: no cover - exercised by the subprocess tests
    """The ``hf-router`` console script."""
    raise SystemExit(main())
