"""Every extension point is a registry keyed by its enum: a member without an entry fails here,
not in production."""

from __future__ import annotations

from bridges import BRIDGES
from domain.ats import AtsSystem
from domain.channels import CHANNELS, ChannelKind


def test_every_channel_has_its_traits() -> None:
    assert set(CHANNELS) == set(ChannelKind)
    assert len({traits.label for traits in CHANNELS.values()}) == len(ChannelKind)


def test_every_vendor_has_its_bridge_at_its_own_path() -> None:
    assert set(BRIDGES) == set(AtsSystem)
    assert all(bridge.system is system for system, bridge in BRIDGES.items())
    assert len({bridge.path for bridge in BRIDGES.values()}) == len(AtsSystem)


def test_every_channel_a_campaign_may_use_has_a_provider_whatever_the_settings() -> None:
    from channels.providers import build_providers
    from config.settings import Settings

    assert set(build_providers(Settings())) == set(ChannelKind)
