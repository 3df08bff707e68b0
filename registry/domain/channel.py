"""A tenant's sending channel (SPEC §12, R-THROTTLE): the platform's messaging limit and
quality rating for it, and the registry's own halving of marketing volume when the
channel-wide complaint rate reaches the warning threshold.

Figures travel in the events as integers and decimal strings (no floats in events), so
every change can be checked against a recount of the log.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, Final, NamedTuple
from uuid import UUID

from registry.domain.base import RegistryAggregate, natural_id

RESTORE_AFTER: Final = timedelta(days=7)


def channel_aggregate_id(tenant: str, channel: str) -> UUID:
    return natural_id(tenant, "channel", channel)


class RateFigures(NamedTuple):
    """A channel's complaint rate over the rolling window, as evaluated."""

    complained: int
    delivered: int
    rate: str | None  # decimal string
    threshold: str
    window_days: int
    min_delivered: int

    def fields(self) -> dict[str, Any]:
        return {
            "complained": self.complained,
            "delivered": self.delivered,
            "complaint_rate": self.rate,
            "threshold": self.threshold,
            "window_days": self.window_days,
            "min_delivered": self.min_delivered,
        }


class Channel(RegistryAggregate):
    channel: str

    class Registered(RegistryAggregate.Created):
        channel: str

    class PlatformLimitRecorded(RegistryAggregate.Event):
        channel: str
        limit: int | None  # None: no limit (TIER_UNLIMITED) or not set
        tier: str | None
        previous_tier: str | None
        event: str | None
        quality: str | None
        display_phone_number: str | None
        at: datetime

        def apply(self, channel: Channel) -> None:
            channel.platform = {
                "limit": self.limit,
                "tier": self.tier,
                "event": self.event,
                "quality": self.quality or (channel.platform or {}).get("quality"),
                "display_phone_number": self.display_phone_number,
                "at": self.at,
            }

    class Halved(RegistryAggregate.Event):
        channel: str
        complained: int
        delivered: int
        complaint_rate: str | None
        threshold: str
        window_days: int
        min_delivered: int
        at: datetime

        def apply(self, channel: Channel) -> None:
            channel.halved = True
            channel.halved_at = self.at
            channel.recovering_since = None

    class RecoveryStarted(RegistryAggregate.Event):
        channel: str
        complained: int
        delivered: int
        complaint_rate: str | None
        threshold: str
        window_days: int
        min_delivered: int
        at: datetime

        def apply(self, channel: Channel) -> None:
            channel.recovering_since = self.at

    class RecoveryInterrupted(RegistryAggregate.Event):
        channel: str
        complained: int
        delivered: int
        complaint_rate: str | None
        threshold: str
        window_days: int
        min_delivered: int
        at: datetime

        def apply(self, channel: Channel) -> None:
            channel.recovering_since = None

    class Restored(RegistryAggregate.Event):
        channel: str
        complained: int
        delivered: int
        complaint_rate: str | None
        threshold: str
        window_days: int
        min_delivered: int
        below_since: datetime
        at: datetime

        def apply(self, channel: Channel) -> None:
            channel.halved = False
            channel.halved_at = None
            channel.recovering_since = None

    def __init__(self, tenant: str, channel: str) -> None:
        self.tenant = tenant
        self.channel = channel
        self.platform: dict[str, Any] | None = None
        self.halved = False
        self.halved_at: datetime | None = None
        self.recovering_since: datetime | None = None

    @classmethod
    def register(cls, tenant: str, channel: str) -> Channel:
        created: Channel = cls._create(
            cls.Registered, id=channel_aggregate_id(tenant, channel), tenant=tenant, channel=channel
        )
        return created

    def record_platform_limit(
        self,
        *,
        limit: int | None,
        tier: str | None,
        previous_tier: str | None,
        event: str | None,
        quality: str | None,
        display_phone_number: str | None,
        at: datetime,
    ) -> None:
        self.trigger_event(
            self.PlatformLimitRecorded,
            channel=self.channel,
            limit=limit,
            tier=tier,
            previous_tier=previous_tier,
            event=event,
            quality=quality,
            display_phone_number=display_phone_number,
            at=at,
        )

    def evaluate(self, figures: RateFigures, *, at_or_above: bool, at: datetime) -> None:
        """One evaluation of the channel-wide complaint rate (`at_or_above`: it reaches the
        warning threshold with at least `min_delivered` delivered): halve, start or break
        the 7 days of recovery, or restore after 7 consecutive days below."""
        step = next_step(self.halved, self.recovering_since, at_or_above, at)
        fields = {**figures.fields(), "channel": self.channel, "at": at}
        if step == "halve":
            self.trigger_event(self.Halved, **fields)
        elif step == "interrupt":
            self.trigger_event(self.RecoveryInterrupted, **fields)
        elif step == "start_recovery":
            self.trigger_event(self.RecoveryStarted, **fields)
        elif step == "restore":
            self.trigger_event(self.Restored, below_since=self.recovering_since, **fields)


def next_step(
    halved: bool, recovering_since: datetime | None, at_or_above: bool, at: datetime
) -> str | None:
    """What one evaluation changes: halve, interrupt, start_recovery, restore, or nothing."""
    if not halved:
        return "halve" if at_or_above else None
    if at_or_above:
        return "interrupt" if recovering_since is not None else None
    if recovering_since is None:
        return "start_recovery"
    return "restore" if at - recovering_since >= RESTORE_AFTER else None
