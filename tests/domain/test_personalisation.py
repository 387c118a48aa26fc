"""Campaign texts are personalised from the enrolment's snapshot, by a parser, never format()."""

from __future__ import annotations

import pytest

from domain.personalisation import PLACEHOLDERS, Personalisation, TemplateError, check, render

ANA = Personalisation(
    candidate_name="Ana Maria Silva",
    job_name="Night nurse",
    stage_name="Screen",
    campaign_name="Screening",
)


def test_every_placeholder_is_replaced() -> None:
    text = "Hi {first_name} ({candidate_name}): {job_name}, {stage_name}, {campaign_name}."

    assert render(text, ANA) == ("Hi Ana (Ana Maria Silva): Night nurse, Screen, Screening.")


def test_doubled_braces_are_literal_braces() -> None:
    assert render("{{first_name}} is {first_name}", ANA) == "{first_name} is Ana"


@pytest.mark.parametrize(
    "text",
    [
        "Hi {name}",
        "Hi {first_name",
        "Hi first_name}",
        "{}",
        "{first_name.upper}",
        "{first_name!r}",
        "{first_name:>10}",
        "{0}",
        "a { b }",
    ],
)
def test_unknown_placeholders_and_unpaired_braces_are_refused(text: str) -> None:
    with pytest.raises(TemplateError):
        check(text)


def test_a_name_with_braces_is_text_never_a_template() -> None:
    sneaky = Personalisation(
        candidate_name="{job_name} {__class__}",
        job_name="Secret job",
        stage_name="s",
        campaign_name="c",
    )

    assert render("Hi {candidate_name}", sneaky) == "Hi {job_name} {__class__}"


def test_a_one_word_or_empty_name_gives_a_first_name() -> None:
    assert Personalisation("Prince", "j", "s", "c").first_name == "Prince"
    assert Personalisation("", "j", "s", "c").first_name == ""


def test_the_api_lists_exactly_these_placeholders() -> None:
    assert set(PLACEHOLDERS) == {
        "first_name",
        "candidate_name",
        "job_name",
        "stage_name",
        "campaign_name",
        "link",
    }


def test_rendering_never_fails_on_a_text_stored_before_the_check() -> None:
    assert render("Hi {name}, {first_name} {", ANA) == "Hi {name}, Ana {"


def test_definitions_stored_before_the_rules_still_load() -> None:
    from datetime import timedelta

    from domain.campaigns import DEFAULT_EXPIRY, Campaign
    from domain.candidates import CandidateContact
    from domain.durations import MAX_DURATION

    old = Campaign.model_validate(
        {
            "name": "Offer {2025}",
            "kind": "multi_module",
            "channel": "sms",
            "messages": ["Hi {name}"],
            "modules": [{"id": "m", "name": "M", "type": "content"}],
            "expiry": "P400D",
        }
    )
    assert old.effective_expiry == MAX_DURATION > DEFAULT_EXPIRY
    assert [where for where, _ in old.definition_problems()] == ["messages.0", "expiry"]
    assert CandidateContact(id="c", name="n", timezone="GMT+2").timezone == "GMT+2"
    assert timedelta(days=400) > MAX_DURATION
