"""Every status a recruiter can meet has a label, a hint and a colour on the page."""

from __future__ import annotations

from pathlib import Path

import api
from api.pages.looks import REASON_LABELS, STATUS_LOOKS, temporal_workflow_url
from domain.enrolments import StatusReason
from domain.statuses import EXPIRABLE, EnrolmentStatus

STYLESHEET = Path(api.__file__).parent / "static" / "app.css"


def test_every_status_has_a_readable_label_and_a_colour() -> None:
    assert [look.value for look in STATUS_LOOKS] == list(EnrolmentStatus)
    labels = {look.value: look.label for look in STATUS_LOOKS}
    assert labels[EnrolmentStatus.IN_PROGRESS] == "In progress"
    assert labels[EnrolmentStatus.AUTO_MATCH] == "Auto-Match"
    css = STYLESHEET.read_text()
    for status in EnrolmentStatus:
        assert f'[data-status="{status.value}"]' in css, status


def test_workflow_link_points_at_the_candidates_workflow_in_the_temporal_ui() -> None:
    url = temporal_workflow_url("http://localhost:8233/", "default", "cand 42")
    assert url == "http://localhost:8233/namespaces/default/workflows/candidate-cand%2042"


def test_every_reason_is_said_in_words_and_each_cancel_says_who_or_what() -> None:
    assert set(REASON_LABELS) == set(StatusReason)
    cancels = {
        StatusReason.APPLICATION_WITHDRAWN: "the ATS",
        StatusReason.LEFT_STAGE: "the ATS",
        StatusReason.CANCELLED_BY_RECRUITER: "a recruiter",
        StatusReason.CANDIDATE_ERASED: "erased",
    }
    for reason, who in cancels.items():
        assert who in REASON_LABELS[reason], reason


def test_an_expiry_is_shown_only_where_it_can_still_happen() -> None:
    assert {EnrolmentStatus.DELIVERED, EnrolmentStatus.IN_PROGRESS} == EXPIRABLE
