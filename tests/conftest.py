"""Shared test fixtures: Temporal test servers and databases live in ``tests/fixtures``.

Quiet hours would hold every message of a test run at night (in the test candidates' zones):
tests run with them off, and the tests about them turn them on. Every stack a test starts
accepts ``TEST_ADMIN_KEY`` as an admin key (``ENROLMENTS_BOOTSTRAP_ADMIN_KEY``); the tests of
access control use keys of every role and none. The process exports metrics as ``enrolments``
processes do.
"""

import os

from config.telemetry import install_telemetry
from tests.keys import TEST_ADMIN_KEY

os.environ["ENROLMENTS_QUIET_HOURS"] = "off"
os.environ["ENROLMENTS_BOOTSTRAP_ADMIN_KEY"] = TEST_ADMIN_KEY
# Like the product's processes, before the first Temporal client: /metrics finds the SDK's.
install_telemetry()

pytest_plugins = ["tests.fixtures.temporal", "tests.fixtures.databases"]
