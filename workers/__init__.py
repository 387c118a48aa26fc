"""Processes that host the engine: the Temporal worker, the HTTP API and the dev stack."""
