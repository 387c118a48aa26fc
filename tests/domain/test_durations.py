"""Durations come back as they were written: a recruiter who typed PT24H reads PT24H."""

from __future__ import annotations

import copy
import pickle
from datetime import timedelta

import pytest

from domain.campaigns import Campaign

SCREENING = {
    "name": "Screening",
    "kind": "multi_module",
    "channel": "sms",
    "messages": ["Hi"],
    "modules": [{"id": "m1", "name": "Questions", "type": "question"}],
    "nudges": {"after": ["PT2H", "PT24H", "P2D"], "message": "Still there?"},
}


@pytest.mark.parametrize("written", ["PT24H", "P1D", "PT1440M", "P7D", "PT1H30M"])
def test_a_duration_is_written_back_as_it_was_written(written: str) -> None:
    campaign = Campaign.model_validate({**SCREENING, "expiry": written})
    again = Campaign.model_validate_json(campaign.model_dump_json())
    assert again.model_dump(mode="json")["expiry"] == written
    assert copy.deepcopy(again).model_dump(mode="json")["expiry"] == written
    assert pickle.loads(pickle.dumps(again)).model_dump(mode="json")["expiry"] == written
    assert again.model_dump(mode="json")["nudges"]["after"] == ["PT2H", "PT24H", "P2D"]


def test_a_written_duration_is_still_the_duration_it_says() -> None:
    campaign = Campaign.model_validate({**SCREENING, "expiry": "PT24H"})
    assert campaign.expiry == timedelta(days=1)
    assert campaign.model_dump(mode="json", exclude={"expiry"})["nudges"]["after"][1] == "PT24H"
