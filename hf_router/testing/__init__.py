"""A local emulator of the Hugging Face router, for tests, examples and CI.

``with RouterEmulator() as emu:`` serves the router's chat-completions, ``/v1/models``, Hub
mapping and model-list routes, the media provider routes (with the generated files) and
HuggingChat's web routes (chat-ui's current or 2024 generation,
``emu.configure_huggingchat``) on ``127.0.0.1`` with a deterministic model, fault scenarios, a request
log and cassette replay (see ``docs/emulator.md``). Needs the ``hf-router[testing]`` extra; the
core never imports this package.
"""

from .core.state import LoggedRequest
from .server.emulator import RouterEmulator

__all__ = ["LoggedRequest", "RouterEmulator"]
