"""Messaging channels: how a message reaches a candidate (outbox by default)."""
