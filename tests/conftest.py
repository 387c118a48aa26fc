"""Shared test fixtures: Temporal test servers and databases live in ``tests/fixtures``.

Quiet hours would hold every message of a test run at night (in the test candidates' zones):
tests run with them off, and the tests about them turn them on.
"""

import os

os.environ["ENROLMENTS_QUIET_HOURS"] = "off"

pytest_plugins = ["tests.fixtures.temporal", "tests.fixtures.databases"]
