"""HuggingChat with web search: :class:`HuggingChatClient` (answers with their sources) and the
seed facade :class:`HuggingChat`.

Inside: ``_wire`` builds the requests (cookies, conversations, message payloads), ``_updates``
parses the NDJSON message updates, ``_answer`` reads one answer into events, and ``_client`` is
the sync/async shell that does the I/O.
"""

from ._client import Conversation, HuggingChatClient, SearchResult
from ._facade import HuggingChat

__all__ = ["Conversation", "HuggingChat", "HuggingChatClient", "SearchResult"]
