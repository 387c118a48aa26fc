"""Vendor webhook deliveries as each vendor sends them, signed as each vendor signs them.

The shapes follow the vendors' documented samples (fields the bridges do not read included,
so a bridge that reads too much or too little shows):
- Greenhouse: https://developers.greenhouse.io/webhooks.html (candidate_stage_change,
  new_candidate_application, reject_candidate, hire_candidate, delete_application);
- Lever: https://hire.lever.co/developer/documentation#webhooks (candidateStageChange);
- Ashby: https://developers.ashbyhq.com/docs/common-payload-data and the application webhooks;
- Workable: https://workable.readme.io/reference/candidate-events.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import uuid
from datetime import datetime
from typing import Any

VALID_PHONE = "+14155550123"


def _hex(secret: str, message: bytes) -> str:
    return hmac.new(secret.encode(), message, hashlib.sha256).hexdigest()


def body(payload: dict[str, Any]) -> bytes:
    return json.dumps(payload).encode()


# -- Greenhouse ----------------------------------------------------------------------------------


def greenhouse_signed(secret: str, raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "signature": f"sha256 {_hex(secret, raw)}"}


def greenhouse_candidate(candidate_id: int, phone: str | None = VALID_PHONE) -> dict[str, Any]:
    numbers = [{"value": "330-281-8004", "type": "home"}]
    if phone is not None:
        numbers.append({"value": phone, "type": "mobile"})
    return {
        "id": candidate_id,
        "first_name": "Giuseppe",
        "last_name": "Hurley",
        "title": "Designer",
        "company": "Example Co",
        "phone_numbers": numbers,
        "email_addresses": [{"value": "giuseppe.hurley@example.com", "type": "personal"}],
        "addresses": [],
        "attachments": [],
        "tags": ["Walkabout"],
    }


def greenhouse_application(
    action: str,
    *,
    application_id: int,
    candidate_id: int,
    job_id: int,
    stage_id: int,
    at: datetime,
    status: str = "active",
    phone: str | None = VALID_PHONE,
) -> dict[str, Any]:
    """``new_candidate_application``, ``candidate_stage_change``, ``reject_candidate``,
    ``application_updated``...: the full application shape."""
    rejected = status == "rejected"
    return {
        "action": action,
        "payload": {
            "application": {
                "id": application_id,
                "rejected_at": at.isoformat() if rejected else None,
                "prospect": False,
                "status": status,
                "applied_at": "2013-03-22T00:00:00Z",
                "last_activity_at": at.isoformat(),
                "source": {"id": 31, "public_name": "Agency"},
                "credited_to": {"id": 14, "name": "Jacob Kiley"},
                "rejection_reason": {"id": 14, "name": "Too Junior"} if rejected else None,
                "current_stage": {"id": stage_id, "name": f"Stage {stage_id}", "interviews": []},
                "jobs": [{"id": job_id, "name": "Designer", "status": "open"}],
                "candidate": greenhouse_candidate(candidate_id, phone),
            }
        },
    }


def greenhouse_hire(
    *, application_id: int, candidate_id: int, job_id: int, resolved_at: datetime
) -> dict[str, Any]:
    """``hire_candidate``: no status, no current stage; the accepted offer."""
    return {
        "action": "hire_candidate",
        "payload": {
            "application": {
                "id": application_id,
                "candidate": greenhouse_candidate(candidate_id),
                "jobs": [{"id": job_id, "name": "Designer"}],
                "job": {"id": job_id, "name": "Designer"},
                "offer": {
                    "id": 506409,
                    "version": 2,
                    "created_at": "2014-11-20",
                    "sent_at": "2014-11-20",
                    "resolved_at": resolved_at.isoformat(),
                    "starts_at": "2015-01-23",
                },
                "opening": {"opening_id": "opening-1"},
            }
        },
    }


def greenhouse_deleted_application(
    *, application_id: int, candidate_id: int, job_id: int
) -> dict[str, Any]:
    return {
        "action": "delete_application",
        "payload": {
            "application": {
                "id": application_id,
                "candidate_id": candidate_id,
                "job_id": job_id,
                "created_at": "2016-02-17T17:56:09.416Z",
                "rejected_at": None,
                "prospect": False,
            }
        },
    }


# -- Lever ---------------------------------------------------------------------------------------


def lever_event(
    event: str,
    signature_token: str,
    *,
    opportunity: str,
    contact: str,
    at: datetime,
    to_stage: str | None = None,
    archived: bool | None = None,
    reason: str = "reason-1",
) -> dict[str, Any]:
    """A Lever webhook body, signed in the body: HMAC of ``token`` + ``triggeredAt``."""
    token = secrets.token_hex(24)  # 48 random characters, as Lever's
    triggered_at = int(at.timestamp() * 1000)
    data: dict[str, Any] = {
        "opportunityId": opportunity,
        "candidateId": opportunity,
        "contactId": contact,
    }
    if to_stage is not None:
        data |= {"toStageId": to_stage, "fromStageId": "lead-new"}
    if archived is not None:
        archive = {"archivedAt": triggered_at, "reason": reason}
        data |= {"toArchived": archive if archived else None, "fromArchived": None}
    return {
        "triggeredAt": triggered_at,
        "event": event,
        "data": data,
        "signature": _hex(signature_token, f"{token}{triggered_at}".encode()),
        "token": token,
    }


# -- Ashby ---------------------------------------------------------------------------------------


def ashby_signed(secret: str, raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "ashby-signature": f"sha256={_hex(secret, raw)}"}


def ashby_event(
    action: str,
    *,
    application: str,
    candidate: str,
    job: str,
    stage: str,
    at: datetime,
    status: str = "Active",
    action_id: str | None = None,
) -> dict[str, Any]:
    return {
        "webhookActionId": action_id or str(uuid.uuid4()),
        "action": action,
        "data": {
            "application": {
                "id": application,
                "createdAt": "2026-01-05T10:00:00.000Z",
                "updatedAt": at.isoformat(),
                "status": status,
                "candidate": {
                    "id": candidate,
                    "name": "Adam Hart",
                    "primaryEmailAddress": {
                        "value": "adam@example.com",
                        "type": "Personal",
                        "isPrimary": True,
                    },
                    "primaryPhoneNumber": {"value": VALID_PHONE, "type": "Work", "isPrimary": True},
                },
                "currentInterviewStage": {
                    "id": stage,
                    "title": f"Stage {stage}",
                    "type": "Active",
                    "orderInInterviewPlan": 3,
                    "interviewStageGroupId": "group-1",
                    "interviewPlanId": "plan-1",
                },
                "job": {"id": job, "title": "Designer", "locationId": "l", "departmentId": "d"},
                "hiringTeam": [],
                "customFields": [],
                "archiveReason": None,
                "archivedAt": at.isoformat() if status == "Archived" else None,
            }
        },
    }


# -- Workable ------------------------------------------------------------------------------------


def workable_signed(secret: str, raw: bytes) -> dict[str, str]:
    return {"content-type": "application/json", "x-workable-signature": _hex(secret, raw)}


def workable_event(
    event_type: str,
    *,
    candidate: str,
    job: str,
    stage: str,
    at: datetime,
    disqualified: bool = False,
) -> dict[str, Any]:
    return {
        "id": candidate,
        "resource_type": "candidate",
        "event_type": event_type,
        "fired_at": at.isoformat(),
        "data": {
            "id": candidate,
            "name": "John Doe",
            "firstname": "John",
            "lastname": "Doe",
            "email": "john.doe@example.com",
            "phone": VALID_PHONE,
            "account": {"subdomain": "acme", "name": "Acme Inc."},
            "job": {"shortcode": job, "title": "Sales Intern"},
            "stage": stage,
            "disqualified": disqualified,
            "disqualification_reason": "Not a fit" if disqualified else None,
            "disqualified_at": at.isoformat() if disqualified else None,
            "sourced": False,
            "created_at": "2026-01-05T10:00:00Z",
            "updated_at": at.isoformat(),
        },
    }
