"""R-THROTTLE reads (SPEC §12, §19): each channel's limits and why, a template's stats, and
the effective limit a decision applies; and the platform's messaging limit as recorded."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from registry.clock import Clock
from registry.domain.channel import Channel, channel_aggregate_id
from registry.domain.decision import ChannelLimit
from registry.domain.exceptions import NotFound
from registry.domain.limits import (
    EffectiveLimit,
    effective_limit,
    frees_at,
    moment_of_minute,
    window_first_minute,
)
from registry.domain.policy import Policy
from registry.domain.vocabulary import CHANNELS, normalise_language
from registry.projections.send_reads import (
    Counts,
    channel_window,
    summed,
    template_counts_by_version,
    window_rows,
)
from registry.timefmt import iso

if TYPE_CHECKING:
    from registry.projections.reader import ViewReader
    from registry.store.database import Database
    from registry.store.writer import EventWriter
    from registry.usecases.policy import PolicyService

Docs = dict[tuple[str, str], dict[str, Any]]


def limit_keys(channel: str) -> list[tuple[str, str]]:
    """What a decision on `channel` reads besides customer, template and tenant."""
    return [("channel", channel), ("window", channel)]


def effective_of(docs: Docs, channel: str, policy: Policy) -> EffectiveLimit:
    doc = docs.get(("channel", channel)) or {}
    platform = (doc.get("platform") or {}).get("limit")
    return effective_limit(
        policy.feedback.marketing_daily_customers, platform, bool(doc.get("halved"))
    )


def channel_limit(docs: Docs, channel: str, policy: Policy, first_minute: int) -> ChannelLimit:
    """The limit facts of a decision: `docs` read with `window_from=first_minute`."""
    effective = effective_of(docs, channel, policy).effective
    count = int((docs.get(("window", channel)) or {}).get("customers", 0))
    return ChannelLimit(effective, count, moment_of_minute(first_minute))


def rates(counts: Mapping[str, int]) -> dict[str, float | None]:
    """The rates of SPEC §11 from the counts per outcome name."""
    delivered, sent = counts["delivered"], counts["sent"]

    def ratio(numerator: int, denominator: int) -> float | None:
        return None if denominator == 0 else numerator / denominator

    return {
        "delivery_rate": ratio(delivered, sent),
        "read_rate": ratio(counts["read"], delivered),
        "reply_rate": ratio(counts["replied"], delivered),
        "click_rate": ratio(counts["clicked"], delivered),
        "conversion_rate": ratio(counts["converted"], delivered),
        "opt_out_rate": ratio(counts["opted_out"], delivered),
        "complaint_rate": ratio(counts["complained"], delivered),
    }


STAT_COUNTS = (
    "sent",
    "delivered",
    "read",
    "failed",
    "clicked",
    "replied",
    "converted",
    "opted_out",
    "complained",
)


def figures(counts: Counts) -> dict[str, Any]:
    return {
        "authorized": counts.authorized,
        **{name: counts.flags[name] for name in STAT_COUNTS},
        **rates(counts.flags),
    }


class LimitService:
    def __init__(
        self,
        writer: EventWriter,
        views: ViewReader,
        policies: PolicyService,
        db: Database,
        clock: Clock,
    ) -> None:
        self.writer = writer
        self.views = views
        self.policies = policies
        self.db = db
        self.clock = clock

    def frees_at(
        self, tenant: str, channel: str, limit: ChannelLimit, first_minute: int
    ) -> ChannelLimit:
        """`limit` with `frees_at`, read when a decision finds the window full."""
        if limit.effective is None or limit.customers_24h < limit.effective:
            return limit
        with self.db.single_statement() as sql:
            buckets = window_rows(sql, tenant, channel, first_minute)
        return limit._replace(frees_at=frees_at(buckets, limit.customers_24h, limit.effective))

    def limits(self, tenant: str, min_position: int | None = None) -> dict[str, Any]:
        now = self.clock.now()
        first = window_first_minute(now)
        keys = [("tenant", "")] + [key for channel in CHANNELS for key in limit_keys(channel)]
        docs, position = self.views.read(tenant, keys, min_position, window_from=first)
        policy, _ = self.policies.policy_of(tenant, docs.get(("tenant", "")))
        since = now - timedelta(days=policy.feedback.window_days)
        channels = []
        with self.db.transaction() as sql:
            for channel in CHANNELS:
                effective = effective_of(docs, channel, policy)
                counts = channel_window(sql, tenant, channel, since)
                doc = docs.get(("channel", channel)) or {}
                platform = doc.get("platform") or {}
                window_rates = rates(counts)
                channels.append(
                    {
                        "channel": channel,
                        "configured": effective.configured,
                        "platform": effective.platform,
                        "effective": effective.effective,
                        "customers_24h": int(docs[("window", channel)]["customers"]),
                        "complaint_rate": window_rates["complaint_rate"],
                        "opt_out_rate": window_rates["opt_out_rate"],
                        "reasons": effective.reasons,
                        "delivered": counts["delivered"],
                        "complained": counts["complained"],
                        "opted_out": counts["opted_out"],
                        "window_days": policy.feedback.window_days,
                        "halved": bool(doc.get("halved")),
                        "recovering_since": doc.get("recovering_since"),
                        "platform_tier": platform.get("tier"),
                        "quality": platform.get("quality"),
                    }
                )
        return {"channels": channels, "position": position}

    def template_stats(
        self,
        tenant: str,
        name: str,
        language: str,
        *,
        since: datetime | None,
        until: datetime | None,
        min_position: int | None = None,
    ) -> dict[str, Any]:
        language = normalise_language(language)
        docs, position = self.views.read(tenant, [("template", f"{name}/{language}")], min_position)
        if ("template", f"{name}/{language}") not in docs:
            raise NotFound(f"template {name}/{language} not found")
        with self.db.single_statement() as sql:
            by_version = template_counts_by_version(sql, tenant, name, language, since, until)
        total = summed(by_version.values())
        versions = [
            {"version": version, **figures(counts)}
            for version, counts in sorted(by_version.items(), key=lambda item: item[0] or 0)
        ]
        return {
            "name": name,
            "language": language,
            "since": iso(since),
            "until": iso(until),
            "total": figures(total),
            "versions": versions,
            "position": position,
        }

    def record_platform_limit(
        self, tenant: str, channel: str, *, dedupe_key: str | None = None, **recorded: Any
    ) -> dict[str, Any]:
        """A `Channel.PlatformLimitRecorded` (from `phone_number_quality_update`)."""
        answer: dict[str, Any] = self.writer.write(
            tenant,
            channel_aggregate_id(tenant, channel),
            lambda: Channel.register(tenant, channel),
            lambda aggregate: aggregate.record_platform_limit(**recorded),
            dedupe_key=dedupe_key,
        )
        return answer
