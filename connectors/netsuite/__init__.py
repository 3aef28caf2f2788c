"""NetSuite through SuiteTalk REST web services: reads with SuiteQL, record writes, OAuth 2.0 tokens.

    from connectors.netsuite import NetSuiteConnector

One module per concept: `connector` (the connector: reads, re-windowing, writes), `suiteql` (SuiteQL
text: literals, filter conditions, IN lists cut to size, the windows a read moves through) and `auth`
(client-credentials tokens, cached and refreshed).
"""

from __future__ import annotations

from connectors.netsuite.connector import NetSuiteConnector

__all__ = ["NetSuiteConnector"]
