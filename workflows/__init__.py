"""Deterministic orchestration: one long-lived workflow per candidate."""
