"""Delivering a message through the configured channel, counted and timed per channel."""

from __future__ import annotations

import time

from opentelemetry.trace import SpanKind
from temporalio import activity
from temporalio.exceptions import ApplicationError, ApplicationErrorCategory

from activities.contracts import (
    DELIVER_MESSAGE,
    PERMANENT_DELIVERY_FAILURE,
    DeliverMessage,
    SendResult,
)
from channels.base import Channel, PermanentDeliveryError, TransientDeliveryError
from config.logs import log_context
from config.tracing import tracer
from domain.metrics import DESCRIPTIONS, MESSAGES, SEND_SECONDS


class DeliveryActivities:
    """Sends messages; runs on the delivery task queue, whose rate limit paces ``sending``."""

    def __init__(self, channel: Channel) -> None:
        self._channel = channel

    @activity.defn(name=DELIVER_MESSAGE)
    async def deliver_message(self, input: DeliverMessage) -> SendResult:
        """Hand the message to the channel once per idempotency key.

        A permanent refusal fails for good (non-retryable, with the reason); anything
        transient raises so Temporal retries with backoff.
        """
        message = input.message
        channel = message.channel.value
        started = time.perf_counter()
        outcome = "retried"
        try:
            with (
                log_context(candidate_id=message.candidate.id, enrolment_id=message.enrolment_id),
                tracer.start_as_current_span("provider send", kind=SpanKind.CLIENT) as span,
            ):
                span.set_attribute("enrolments.channel", channel)
                span.set_attribute("enrolments.enrolment_id", message.enrolment_id)
                result = await self._channel.send(message)
            outcome = "duplicate" if result.duplicate else "sent"
            return result
        except PermanentDeliveryError as err:
            outcome = "refused"
            raise ApplicationError(
                err.detail,
                err.reason,
                err.detail,
                type=PERMANENT_DELIVERY_FAILURE,
                non_retryable=True,
                # An expected business outcome (a bad number), not an operational error: logged
                # at debug level instead of as a traceback.
                category=ApplicationErrorCategory.BENIGN,
            ) from err
        except TransientDeliveryError as err:
            # The error's text may quote the recipient: the log names the message only.
            activity.logger.warning(
                "delivery of %s will be retried (%s)",
                input.message.idempotency_key,
                type(err).__name__,
            )
            raise
        finally:
            meter = activity.metric_meter()
            meter.create_histogram_float(SEND_SECONDS, DESCRIPTIONS[SEND_SECONDS], "s").record(
                time.perf_counter() - started, {"channel": channel}
            )
            meter.create_counter(MESSAGES, DESCRIPTIONS[MESSAGES]).add(
                1, {"channel": channel, "outcome": outcome}
            )
