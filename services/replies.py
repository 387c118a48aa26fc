"""What candidates send back: an opt-out or opt-in keyword by SMS or WhatsApp, a click on an
e-mail's one-click unsubscribe link.

STOP-type replies opt the sender out, START-type ones back in (Twilio's default keywords:
https://help.twilio.com/articles/223134027); nothing is sent to an opted-out address until it
opts back in.
"""

from __future__ import annotations

import logging
import string

from channels.addresses import normalise_phone
from channels.base import PermanentDeliveryError
from services.context import Context
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


async def receive_reply(context: Context, sender: str, body: str) -> None:
    """A candidate's message by SMS or WhatsApp: an opt-out or opt-in keyword is applied."""
    word = keyword(body)
    opted_out = True if word in STOP_WORDS else False if word in START_WORDS else None
    if opted_out is None:
        return
    try:
        address = normalise_phone(sender)
    except PermanentDeliveryError:
        logger.info("opt-out keyword from an unusable number ignored")
        return
    await OptOuts(context.sessions).set(address, opted_out)


async def unsubscribe(context: Context, address: str) -> None:
    """Opt an e-mail address out of every e-mail (its one-click unsubscribe link)."""
    await OptOuts(context.sessions).set(address, True)
