"""Every route against every role: no key (401), a key without the role (403), with it (in).

The matrix is written out here, not read from ``api.access``: a route added without a line
here fails ``test_every_route_is_in_the_matrix``.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime

import httpx
import pytest

from domain.access import Role
from store.access import ApiKeys
from store.database import session_factory
from tests.api.conftest import Stack, StackFactory, blast_campaign
from tests.keys import ADMIN_HEADERS, TEST_ADMIN_KEY

pytestmark = pytest.mark.devserver

PUBLIC = "public"
A, R, T = "admin", "recruiter", "ats"
#: Who may call each route of the OpenAPI description (with no webhook or Twilio secret set:
#: those routes then take a bearer key of role ats).
MATRIX: dict[tuple[str, str], set[str] | str] = {
    ("PUT", "/campaigns/{campaign_id}"): {A},
    ("GET", "/campaigns/{campaign_id}"): {A, R},
    ("DELETE", "/campaigns/{campaign_id}"): {A},
    ("PUT", "/jobs/{job_id}"): {A},
    ("GET", "/jobs"): {A, R},
    ("GET", "/jobs/{job_id}"): {A, R},
    ("GET", "/jobs/{job_id}/applications"): {A, R},
    ("GET", "/jobs/{job_id}/applications.csv"): {A, R},
    ("GET", "/jobs/{job_id}/board"): {A, R},
    ("GET", "/enrolments/{enrolment_id}"): {A, R},
    ("GET", "/campaigns/{campaign_id}/analytics"): {A, R},
    ("GET", "/jobs/{job_id}/analytics"): {A, R},
    ("POST", "/enrolments/{enrolment_id}/cancel"): {A, R},
    ("POST", "/enrolments/{enrolment_id}/reenrol"): {A, R},
    ("POST", "/enrolments/{enrolment_id}/writeback"): {A, R},
    ("POST", "/ats/events"): {A, T},
    ("POST", "/ats/events/batch"): {A, T},
    ("POST", "/webhooks/candidate-progress"): {A, T},
    ("POST", "/webhooks/interviewer-availability"): {A, T},
    ("POST", "/webhooks/twilio/status"): {A, T},
    ("POST", "/webhooks/twilio/inbound"): {A, T},
    ("POST", "/ats/greenhouse"): PUBLIC,  # each vendor's own signature
    ("POST", "/ats/lever"): PUBLIC,
    ("POST", "/ats/ashby"): PUBLIC,
    ("POST", "/ats/workable"): PUBLIC,
    ("GET", "/unsubscribe/email"): PUBLIC,  # its signed token
    ("POST", "/unsubscribe/email"): PUBLIC,
    ("GET", "/healthz"): PUBLIC,
    ("GET", "/livez"): PUBLIC,
    ("GET", "/readyz"): PUBLIC,
    ("GET", "/metrics"): PUBLIC,  # counts only, no ids
    ("GET", "/audit"): {A},
    ("DELETE", "/candidates/{candidate_id}"): {A},
    ("POST", "/codec/decode"): {A, R},  # what the views show anyway
    ("POST", "/codec/encode"): {A},
    ("GET", "/ui/"): {A, R},
    ("GET", "/ui/jobs/{job_id}"): {A, R},
    ("GET", "/ui/jobs/{job_id}/counts"): {A, R},
    ("GET", "/ui/counts"): {A, R},
    # The candidate's pages: the token in the path is the key (a drawn one finds nobody: 404).
    ("GET", "/c/{token}"): PUBLIC,
    ("GET", "/c/{token}/state"): PUBLIC,
    ("POST", "/c/{token}/modules/{module_id}/start"): PUBLIC,
    ("POST", "/c/{token}/modules/{module_id}/complete"): PUBLIC,
    ("GET", "/c/{token}/slots"): PUBLIC,
    ("POST", "/c/{token}/modules/{module_id}/book"): PUBLIC,
    ("POST", "/c/{token}/interviews/{interview_id}/reschedule"): PUBLIC,
    ("POST", "/c/{token}/interviews/{interview_id}/cancel"): PUBLIC,
    ("POST", "/c/{token}/interviews/{interview_id}/confirm"): PUBLIC,
    ("GET", "/i/{token}"): PUBLIC,
    ("POST", "/i/{token}"): PUBLIC,
    ("PUT", "/interviewers/{interviewer_id}"): {A},
    ("GET", "/interviewers"): {A, R},
    ("GET", "/interviewers/{interviewer_id}"): {A, R},
    ("PUT", "/interviewers/{interviewer_id}/availability"): {A, R},
    ("GET", "/interviews"): {A, R},
    ("GET", "/interviews/{interview_id}"): {A, R},
    ("POST", "/interviews/{interview_id}/cancel"): {A, R},
    ("POST", "/interviews/{interview_id}/no_show"): {A, R},
}
#: Pages outside the OpenAPI description.
OTHER_PUBLIC = [("GET", "/docs"), ("GET", "/openapi.json"), ("GET", "/ui/sign-in")]


@pytest.fixture
async def keyed(open_stack: StackFactory) -> AsyncIterator[tuple[Stack, dict[str, str]]]:
    """A stack and a key of each role (the stack's client itself is the bootstrap admin)."""
    async with open_stack() as stack:
        keys = ApiKeys(session_factory(stack.engine))
        made = {}
        for role in Role:
            _, made[role.value] = await keys.create(
                f"{role} of the matrix", role, datetime.now(UTC)
            )
        yield stack, made


def _request(method: str, template: str) -> tuple[str, dict[str, object]]:
    path = template.replace("{campaign_id}", "c1").replace("{job_id}", "j1")
    path = path.replace("{enrolment_id}", "enr_x").replace("{candidate_id}", "cand_x")
    if method in ("GET", "HEAD", "DELETE"):
        return path, {}
    if path.startswith(("/webhooks/twilio/", "/unsubscribe/")):
        return path, {"data": {"x": "1"}}
    return path, {"json": {}}


async def _as(stack: Stack, key: str | None, method: str, template: str) -> httpx.Response:
    path, body = _request(method, template)
    headers = {"Authorization": f"Bearer {key}".encode()} if key else {}
    transport = httpx.ASGITransport(app=stack.app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as http:
        return await http.request(method, path, headers=headers, **body)  # type: ignore[arg-type]


async def test_every_route_is_in_the_matrix(stack: Stack) -> None:
    routes = {
        (method.upper(), path)
        for path, operations in stack.app.openapi()["paths"].items()
        for method in operations
    }
    assert routes == set(MATRIX)


async def test_each_route_answers_each_role_as_the_matrix_says(
    keyed: tuple[Stack, dict[str, str]],
) -> None:
    stack, keys = keyed
    wrong: list[str] = []
    for (method, template), allowed in MATRIX.items():
        nobody = await _as(stack, None, method, template)
        if allowed == PUBLIC:
            if nobody.status_code in (401, 403):
                wrong.append(f"{method} {template}: public, yet {nobody.status_code} without a key")
            continue
        page = template.startswith("/ui/")
        if page and nobody.status_code == 303:
            assert nobody.headers["location"].startswith("/ui/sign-in?next=")
        elif nobody.status_code != 401 or nobody.json()["error"]["code"] != "not_authenticated":
            wrong.append(f"{method} {template}: {nobody.status_code} without a key, not 401")
        for role, key in keys.items():
            answer = await _as(stack, key, method, template)
            if role in allowed and answer.status_code in (401, 403):
                wrong.append(f"{method} {template}: {role} refused ({answer.status_code})")
            if role not in allowed and answer.status_code != 403:
                wrong.append(f"{method} {template}: {role} got {answer.status_code}, not 403")
    for method, path in OTHER_PUBLIC:
        answer = await _as(stack, None, method, path)
        if answer.status_code != 200:
            wrong.append(f"{method} {path}: public, yet {answer.status_code}")
    assert wrong == []


async def test_unknown_revoked_and_malformed_keys_are_401(
    keyed: tuple[Stack, dict[str, str]],
) -> None:
    stack, keys = keyed
    revoked = keys["admin"]
    key_id = revoked.split("_")[1]
    await ApiKeys(session_factory(stack.engine)).revoke(key_id, datetime.now(UTC))
    for key in (revoked, revoked[:-1] + "x", "enr_nope", "Bearer", "' OR 1=1 --", "é" * 40):
        answer = await _as(stack, key, "GET", "/jobs")
        assert answer.status_code == 401, (key, answer.text)
        assert answer.headers["www-authenticate"].startswith("Bearer")
    assert (await _as(stack, keys["recruiter"], "GET", "/jobs")).status_code == 200


async def test_keys_are_stored_as_hashes_only(keyed: tuple[Stack, dict[str, str]]) -> None:
    stack, keys = keyed
    async with stack.engine.connect() as connection:
        stored = (await connection.exec_driver_sql("SELECT * FROM api_keys")).all()
    text = repr(stored)
    secrets = [key[len("enr_") + 13 :] for key in keys.values()]  # after "enr_<id>_"
    assert stored and not any(key in text for key in keys.values())
    assert not any(secret in text for secret in secrets)


async def test_configuration_and_key_changes_are_in_the_audit_log(
    keyed: tuple[Stack, dict[str, str]],
) -> None:
    stack, keys = keyed
    headers = {"Authorization": f"Bearer {keys['admin']}"}
    put = await stack.http.put("/campaigns/audited", json=blast_campaign(), headers=headers)
    assert put.status_code == 200, put.text

    page = (await stack.http.get("/audit?limit=2")).json()
    [newest, before] = page["entries"]
    assert (newest["action"], newest["target"]) == ("campaign.saved", "audited")
    assert newest["actor"].startswith("admin of the matrix (")
    assert before["action"] == "key.created" and page["next_before"] == before["id"]
    rest = (await stack.http.get(f"/audit?before={before['id']}")).json()["entries"]
    assert before["detail"]["role"] == "ats"  # the keys were made admin, recruiter, ats
    assert {e["detail"]["role"] for e in rest if e["action"] == "key.created"} >= {
        "admin",
        "recruiter",
    }


async def test_authentication_off_opens_everything_and_says_so(
    open_stack: StackFactory, capsys: pytest.CaptureFixture[str]
) -> None:
    from workers.supervision import warn_if_auth_is_off

    async with open_stack(auth="off") as stack:
        assert (await _as(stack, None, "GET", "/jobs")).status_code == 200
        page = await _as(stack, None, "GET", "/ui/")
        assert page.status_code == 200 and "Authentication off" in page.text
        warn_if_auth_is_off(stack.settings)
    assert "AUTHENTICATION IS OFF" in capsys.readouterr().err


async def test_a_read_model_outage_while_reading_keys_is_503(
    keyed: tuple[Stack, dict[str, str]],
) -> None:
    """Keys live in the read model: without it a key cannot be checked, and the caller is
    told to retry, as every route says it."""
    stack, keys = keyed
    async with stack.engine.begin() as connection:  # reading keys fails, as in an outage
        await connection.exec_driver_sql("DROP TABLE api_keys")
    answer = await _as(stack, keys["recruiter"], "GET", "/jobs")
    assert answer.status_code == 503, answer.text
    assert answer.headers["retry-after"]


async def test_sign_in_from_another_site_is_refused(stack: Stack) -> None:
    for origin in ("http://evil.test", "null"):
        answer = await stack.http.post(
            "/ui/sign-in",
            data={"key": TEST_ADMIN_KEY, "next": "/ui/"},
            headers={"origin": origin},
        )
        assert answer.status_code == 403, (origin, answer.status_code)
        assert "enrolments_session" not in answer.headers.get("set-cookie", "")


async def test_a_route_that_names_no_callers_is_refused_and_the_app_will_not_start() -> None:
    """Default deny: who may call a route is said where it is declared; a route that says
    nothing is refused to everyone, and ``create_app`` refuses to build an app holding one."""
    from fastapi import APIRouter, FastAPI

    from api.app import check_every_route_names_its_callers
    from api.bodies import CheckedRoute

    silent = APIRouter(route_class=CheckedRoute)

    @silent.get("/forgotten")
    async def forgotten() -> dict[str, str]:
        return {"secret": "yes"}

    app = FastAPI()
    app.include_router(silent)
    with pytest.raises(RuntimeError, match="GET /forgotten"):
        check_every_route_names_its_callers(app)
    [route] = [r for r in silent.routes if isinstance(r, CheckedRoute)]
    assert route.allow is None
    async with httpx.AsyncClient(
        transport=httpx.ASGITransport(app=app), base_url="http://test"
    ) as http:
        answer = await http.get("/forgotten", headers=ADMIN_HEADERS)
    assert answer.status_code == 403, "not even an admin"


async def test_every_route_of_the_app_names_its_callers(stack: Stack) -> None:
    from fastapi.routing import iter_route_contexts

    from api.bodies import CheckedRoute

    routes = [r for r in iter_route_contexts(stack.app.routes) if r.methods]
    assert routes
    silent = [
        f"{r.methods} {r.path}"
        for r in routes
        if r.path != "/openapi.json"
        and (not isinstance(r.original_route, CheckedRoute) or r.original_route.allow is None)
    ]
    assert silent == []
