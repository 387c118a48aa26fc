"""Vendor ATS bridges: one module per vendor, named as its ``AtsSystem`` member, each holding
its ``BRIDGE`` (``bridges.base.VendorBridge``): how the vendor's webhooks are verified and read
into ``VendorEvent``s, which settings hold its secret and API key, how its jobs are imported.

``BRIDGES`` is the registry, keyed by ``AtsSystem``: adding a vendor is its module, its enum
member and its settings. A bridge knows the vendor's wire formats and nothing of ours but
``domain`` and ``config``; ``services.vendor_events`` and the routes use the registry only.
May import: ``domain``, ``config``. Imported by: ``services``, ``api``, ``activities``
(``writeback``), ``workers``, tests.
"""

from __future__ import annotations

import importlib

from bridges.base import VendorBridge
from domain.ats import AtsSystem


def _bridge(system: AtsSystem) -> VendorBridge:
    bridge = getattr(importlib.import_module(f"bridges.{system.value}"), "BRIDGE", None)
    if not isinstance(bridge, VendorBridge) or bridge.system is not system:
        raise ImportError(f"bridges/{system.value}.py must define BRIDGE, the {system} bridge")
    return bridge


#: Every vendor's bridge, keyed by its ``AtsSystem`` member.
BRIDGES: dict[AtsSystem, VendorBridge] = {system: _bridge(system) for system in AtsSystem}
