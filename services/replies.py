"""What candidates send back: a reply by SMS or WhatsApp, a click on an e-mail's one-click
unsubscribe link.

STOP-type replies opt the sender out, START-type ones back in (Twilio's default keywords:
https://help.twilio.com/articles/223134027); nothing is sent to an opted-out address until it
opts back in. Any other reply is for a conversation: it goes to the candidates who have the
sender's number, one at a time (the most recently seen first), and the first whose
conversation waits on an answer takes it; when none does, the reply is kept on the newest's
timeline for the recruiter. Each candidate's workflow decides (it applies a reply once, by
Twilio's message id).
"""

from __future__ import annotations

import hashlib
import logging
import string

from channels.addresses import normalise_phone
from channels.base import PermanentDeliveryError
from domain.events import CandidateReply, ReplyResult
from services.candidate_workflows import confirmed
from services.context import Context
from store.candidates import candidates_with_phone
from store.opt_outs import OptOuts

logger = logging.getLogger(__name__)

#: Twilio's default opt-out and opt-in keywords.
STOP_WORDS = frozenset(
    {"STOP", "STOPALL", "UNSUBSCRIBE", "CANCEL", "END", "QUIT", "REVOKE", "OPTOUT"}
)
START_WORDS = frozenset({"START", "YES", "UNSTOP"})


def keyword(body: str) -> str:
    """A reply as a keyword: trimmed of whitespace and punctuation, upper case ("Stop." is
    STOP)."""
    return body.strip().strip(string.punctuation + string.whitespace).upper()


async def receive_reply(
    context: Context, sender: str, body: str, message_id: str | None = None
) -> ReplyResult | None:
    """A candidate's message by SMS or WhatsApp: an opt-out or opt-in keyword is applied (a
    STOP-type word does nothing else); any other reply goes to a conversation. Returns what it
    did there (``None``: nothing)."""
    word = keyword(body)
    opted_out = True if word in STOP_WORDS else False if word in START_WORDS else None
    try:
        address = normalise_phone(sender)
    except PermanentDeliveryError:
        logger.info("a reply from an unusable number ignored")
        return None
    if opted_out is not None:
        await OptOuts(context.sessions).set(address, opted_out)
    if opted_out or not body.strip():
        return None
    async with context.sessions() as session:
        candidates = await candidates_with_phone(session, address)
    event_id = (
        message_id or f"reply-{hashlib.sha256(f'{address}|{body}'.encode()).hexdigest()[:32]}"
    )
    for only_if_asked in (True, False):
        for candidate_id in candidates if only_if_asked else candidates[:1]:
            reply = CandidateReply(event_id=event_id, text=body[:1600], only_if_asked=only_if_asked)
            result = await confirmed(context.workflows.reply(candidate_id, reply))
            if result is not None and result.outcome not in ("not_asked", "nobody"):
                return result
    return None


async def unsubscribe(context: Context, address: str) -> None:
    """Opt an e-mail address out of every e-mail (its one-click unsubscribe link)."""
    await OptOuts(context.sessions).set(address, True)
