"""The admin key every stack of the tests accepts (``ENROLMENTS_BOOTSTRAP_ADMIN_KEY``)."""

TEST_ADMIN_KEY = "test-suite-bootstrap-admin-key-0123456789"
#: What a test's HTTP client sends to be that admin.
ADMIN_HEADERS = {"Authorization": f"Bearer {TEST_ADMIN_KEY}"}
