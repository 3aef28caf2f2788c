"""The hub's edge: connections, the HTTP session, redaction, the connector interface and records."""
