"""Chat through the router: :class:`RouterClient` (streaming, fallback, retries, trimming) and the
seed facade :class:`HuggingFaceAPI`.

Inside: the sans-I/O attempt plan (``_attempts``), the SSE and chunk decoders (``_sse``,
``_decoder``), request preparation (``_request``, ``_params``), trimming (``_trim``) and result
aggregation (``_result``); ``_client`` is the thin sync/async shell that does the I/O.
"""

from ._client import RouterClient
from ._facade import HuggingFaceAPI
from ._result import ResultBuilder
from ._trim import calculate_lenght, calculate_length, trim_messages, trim_with_report

__all__ = [
    "HuggingFaceAPI",
    "ResultBuilder",
    "RouterClient",
    "calculate_lenght",
    "calculate_length",
    "trim_messages",
    "trim_with_report",
]
