"""Log lines carry where they come from: the request, the workflow, the candidate, the enrolment."""

from __future__ import annotations

import json
import logging

import pytest

from config.logs import (
    HidesSecretsInPaths,
    JsonLines,
    TextLines,
    configure_logging,
    log_context,
    without_secrets,
)


def record(message: str, **extra: object) -> logging.LogRecord:
    made = logging.LogRecord("enrolments.test", logging.INFO, __file__, 1, message, (), None)
    made.__dict__.update(extra)
    return made


def test_a_json_line_carries_the_request_and_the_enrolment() -> None:
    with log_context(request_id="req-1", enrolment_id="enr_1"):
        line = json.loads(JsonLines().format(record("sent")))
    assert line["message"] == "sent"
    assert line["level"] == "info"
    assert (line["request_id"], line["enrolment_id"]) == ("req-1", "enr_1")
    assert "candidate_id" not in line


def test_a_temporal_activity_record_names_its_workflow_and_candidate() -> None:
    temporal = {"workflow_id": "candidate-cand-7", "activity_type": "deliver_message"}
    line = json.loads(JsonLines().format(record("retrying", temporal_activity=temporal)))
    assert (line["workflow_id"], line["candidate_id"]) == ("candidate-cand-7", "cand-7")


def test_text_lines_show_the_context_after_the_message() -> None:
    with log_context(request_id="req-2", candidate_id=None):
        text = TextLines().format(record("accepted"))
    assert text.endswith("enrolments.test: accepted [request_id=req-2]")
    assert "[" not in TextLines().format(record("alone"))


def test_the_context_ends_with_its_block() -> None:
    with log_context(request_id="outer"):
        with log_context(enrolment_id="enr_2"):
            inner = json.loads(JsonLines().format(record("x")))
        outer = json.loads(JsonLines().format(record("y")))
    assert (inner["request_id"], inner["enrolment_id"]) == ("outer", "enr_2")
    assert "enrolment_id" not in outer


@pytest.mark.parametrize("log_format", ["json", "text"])
def test_configure_logging_sets_one_handler_in_the_format(log_format: str) -> None:
    root = logging.getLogger()
    saved = root.handlers[:], root.level
    try:
        configure_logging("debug", log_format)  # type: ignore[arg-type]
        [handler] = root.handlers
        expected = JsonLines if log_format == "json" else TextLines
        assert isinstance(handler.formatter, expected)
        assert root.level == logging.DEBUG
        configure_logging("loud", "text")
        assert root.level == logging.WARNING
    finally:
        root.handlers[:], _ = saved
        root.setLevel(saved[1])


def test_the_access_log_never_shows_a_link_token_or_a_query_string() -> None:
    token = "kq3V9x_2bLr8TzW1yQm0aA"
    access = logging.LogRecord(
        "uvicorn.access",
        logging.INFO,
        __file__,
        1,
        '%s - "%s %s HTTP/%s" %d',
        ("127.0.0.1:5000", "POST", f"/c/{token}/modules/m1/complete?lang=es", "1.1", 303),
        None,
    )
    assert HidesSecretsInPaths().filter(access)
    line = TextLines().format(access)
    assert token not in line and "lang=es" not in line
    assert '"POST /c/…/modules/m1/complete?… HTTP/1.1" 303' in line
    assert without_secrets("/unsubscribe/email?token=abc") == "/unsubscribe/email?…"
    assert without_secrets("/ui/jobs/j1") == "/ui/jobs/j1"
    assert without_secrets("/ui/c/x") == "/ui/c/x"
