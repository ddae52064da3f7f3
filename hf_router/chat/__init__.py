"""Chat through the router: :class:`RouterClient` (streaming, fallback, retries, context
fitting, batches) and the seed facade :class:`HuggingFaceAPI`.

Inside, with no I/O: the attempt plan (``_attempts``), one answer's stream state and the
chunk decoder (``_answer``, ``_decoder``), request preparation (``_request``, ``_params``,
``_options``), fitting to the context window (``_fit``, ``_overflow``, ``_budget``, the
seed's ``_trim``) and result aggregation (``_result``). ``_client`` is the thin sync/async
shell that does the I/O (with ``_lookups`` for models and ``_batch`` for many prompts).
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
