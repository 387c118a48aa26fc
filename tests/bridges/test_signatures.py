"""Each bridge accepts its vendor's signature and nothing else (good, bad, missing, reused)."""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

import pytest

from bridges import ashby, greenhouse, lever, workable
from bridges.base import BadSignature
from tests.fakes.vendor_payloads import (
    ashby_event,
    ashby_signed,
    body,
    greenhouse_application,
    greenhouse_signed,
    lever_event,
    workable_event,
    workable_signed,
)

SECRET = "s3cret-key"
AT = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)

Verify = Callable[[bytes, Mapping[str, str], list[str]], None]


def _reading(verify: Callable[[bytes, Any, Mapping[str, str], list[str]], None]) -> Verify:
    """A bridge's ``verify`` given the body as the HTTP edge reads it (``None``: not JSON)."""

    def verify_raw(raw: bytes, headers: Mapping[str, str], secrets: list[str]) -> None:
        try:
            document = json.loads(raw)
        except ValueError:
            document = None
        verify(raw, document, headers, secrets)

    return verify_raw


def _greenhouse() -> tuple[Verify, bytes, dict[str, str]]:
    raw = body(
        greenhouse_application(
            "candidate_stage_change",
            application_id=1,
            candidate_id=2,
            job_id=3,
            stage_id=4,
            at=AT,
        )
    )
    return _reading(greenhouse.verify), raw, greenhouse_signed(SECRET, raw)


def _lever() -> tuple[Verify, bytes, dict[str, str]]:
    raw = body(lever_event("candidateStageChange", SECRET, opportunity="o", contact="c", at=AT))
    return _reading(lever.verify), raw, {"content-type": "application/json"}


def _ashby() -> tuple[Verify, bytes, dict[str, str]]:
    raw = body(
        ashby_event(
            "candidateStageChange", application="a", candidate="c", job="j", stage="s", at=AT
        )
    )
    return _reading(ashby.verify), raw, ashby_signed(SECRET, raw)


def _workable() -> tuple[Verify, bytes, dict[str, str]]:
    raw = body(workable_event("candidate_moved", candidate="c", job="J", stage="interview", at=AT))
    return _reading(workable.verify), raw, workable_signed(SECRET, raw)


VENDORS = {"greenhouse": _greenhouse, "lever": _lever, "ashby": _ashby, "workable": _workable}


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_delivery_signed_with_the_secret_passes(vendor: str) -> None:
    verify, raw, headers = VENDORS[vendor]()
    verify(raw, headers, [SECRET])
    verify(raw, headers, ["an-older-token", SECRET])  # one of several (Lever: per webhook)


@pytest.mark.parametrize("vendor", VENDORS)
def test_another_secret_fails(vendor: str) -> None:
    verify, raw, headers = VENDORS[vendor]()
    with pytest.raises(BadSignature):
        verify(raw, headers, ["not-the-secret"])


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_changed_body_fails(vendor: str) -> None:
    verify, raw, headers = VENDORS[vendor]()
    payload: dict[str, Any] = json.loads(raw)
    if vendor == "lever":  # Lever signs token + triggeredAt: change the time
        payload["triggeredAt"] += 1
    else:
        payload["tampered"] = True
    with pytest.raises(BadSignature):
        verify(json.dumps(payload).encode(), headers, [SECRET])


@pytest.mark.parametrize("vendor", VENDORS)
def test_no_signature_fails(vendor: str) -> None:
    verify, raw, _ = VENDORS[vendor]()
    if vendor == "lever":
        payload = json.loads(raw)
        del payload["signature"]
        raw = json.dumps(payload).encode()
    with pytest.raises(BadSignature):
        verify(raw, {"content-type": "application/json"}, [SECRET])


def test_greenhouse_wants_its_algorithm_prefix() -> None:
    _, raw, headers = _greenhouse()
    bare = headers["signature"].removeprefix("sha256 ")
    with pytest.raises(BadSignature):
        _reading(greenhouse.verify)(raw, {"signature": bare}, [SECRET])
    with pytest.raises(BadSignature):
        _reading(greenhouse.verify)(raw, {"signature": f"sha1 {bare}"}, [SECRET])


def test_ashby_wants_its_algorithm_prefix() -> None:
    _, raw, headers = _ashby()
    with pytest.raises(BadSignature):
        _reading(ashby.verify)(raw, {"ashby-signature": headers["ashby-signature"][7:]}, [SECRET])


@pytest.mark.parametrize("vendor", VENDORS)
def test_a_stale_delivery_still_verifies_and_its_age_is_judged_by_ordering(vendor: str) -> None:
    """Vendors retry a delivery for hours with its original signature (Greenhouse, Ashby and
    Workable sign no time at all), so a bridge cannot refuse an old one by its age. A replay
    changes nothing: its event id is deduplicated and its vendor time ordered by the candidate's
    workflow (tests/api/test_ats_vendors.py: a stale retry never moves an application back)."""
    verify, raw, headers = VENDORS[vendor]()
    payload = json.loads(raw)
    if vendor == "lever":
        assert payload["triggeredAt"] == int(AT.timestamp() * 1000)  # months before "now"
    verify(raw, headers, [SECRET])


@pytest.mark.parametrize("vendor", ["greenhouse", "ashby", "workable"])
def test_a_signature_header_in_any_characters_is_merely_wrong(vendor: str) -> None:
    """Starlette reads headers as latin-1: a header of any bytes is a bad signature, not an
    error."""
    verify, raw, headers = VENDORS[vendor]()
    [(name, value)] = [(k, v) for k, v in headers.items() if k != "content-type"]
    prefix = value[:-64]  # "sha256 ", "sha256=" or nothing, then 64 hex digits
    for odd in ("é" * 64, value[-64:-1] + "\u00ff", "\ud800" * 64):
        with pytest.raises(BadSignature):
            verify(raw, {name: prefix + odd}, [SECRET])


def test_a_lever_signature_in_any_characters_is_merely_wrong() -> None:
    _, raw, _ = _lever()
    payload = json.loads(raw)
    payload["signature"] = "\ud800" + "é" * 63
    with pytest.raises(BadSignature):
        _reading(lever.verify)(json.dumps(payload).encode(), {}, [SECRET])
