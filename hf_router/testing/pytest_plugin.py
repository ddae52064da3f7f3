"""Pytest fixtures for the local router emulator.

Enable with ``pytest_plugins = ["hf_router.testing.pytest_plugin"]`` (or ``-p
hf_router.testing.pytest_plugin``). The emulator is only started when a test asks for it, so loading
the plugin costs nothing and does not need the ``testing`` extra until then.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import TYPE_CHECKING

import pytest

if TYPE_CHECKING:
    from hf_router.testing import RouterEmulator


@pytest.fixture(scope="session")
def router_emulator() -> Iterator[RouterEmulator]:
    """One emulator (thread mode) shared by the whole session."""
    from hf_router.testing import RouterEmulator

    with RouterEmulator() as emu:
        yield emu


@pytest.fixture
def emulator(router_emulator: RouterEmulator) -> RouterEmulator:
    """The session emulator, reset (log, faults, cassettes, added models) for this test."""
    router_emulator.reset()
    return router_emulator
