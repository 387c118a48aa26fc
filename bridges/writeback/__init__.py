"""Writing outcomes back to vendor ATSs (API.md "Write-back to the ATS"): one module per
vendor, named as its ``AtsSystem`` member, each with ``writer(settings)``: its
``VendorWriter`` when its API credentials are configured, else ``None``. ``base`` is what they
share: the protocol and how a vendor's answer is read (done, busy, unavailable, refused).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable

from bridges.writeback.base import VendorWriter
from config.settings import Settings
from domain.ats import AtsSystem

#: Write-backs a second each vendor's queue hands out (each makes one to four calls), under
#: the documented limits: Greenhouse 50 requests / 10 s, Lever 10 / s, Workable 10 / 10 s for
#: an account token; Ashby documents none (``ENROLMENTS_ATS_WRITEBACK_RATE`` sets them all).
WRITE_RATES: dict[AtsSystem, float] = {
    AtsSystem.GREENHOUSE: 1.0,
    AtsSystem.LEVER: 2.0,
    AtsSystem.ASHBY: 1.0,
    AtsSystem.WORKABLE: 0.25,
}


def vendor_writers(settings: Settings) -> dict[AtsSystem, VendorWriter]:
    """The writer of every vendor whose credentials are configured (none when write-back is
    turned off)."""
    made: dict[AtsSystem, VendorWriter] = {}
    if not settings.ats_writeback:
        return made
    for system in AtsSystem:
        module = importlib.import_module(f"bridges.writeback.{system.value}")
        make: Callable[[Settings], VendorWriter | None] = module.writer
        writer = make(settings)
        if writer is not None:
            made[system] = writer
    return made
