"""Shared test fixtures: Temporal test servers and databases live in ``tests/fixtures``."""

pytest_plugins = ["tests.fixtures.temporal", "tests.fixtures.databases"]
