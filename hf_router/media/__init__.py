"""Image and video generation through the router's providers: :class:`MediaClient` and the seed
facade :class:`HuggingFaceMedia`.

Inside: ``providers/`` holds one small pure class per provider protocol (request in, parsed answer
out); ``_engine`` does the I/O (submit, bounded polling, downloads) for one call, ``_run`` keeps
that call's state, ``_download`` the safe-download policy, ``_bridge`` the private event loop of
the sync twins and ``_settings`` the validated settings the engine reads.
"""

from ._client import MediaClient
from ._facade import HuggingFaceMedia

__all__ = ["HuggingFaceMedia", "MediaClient"]
