"""Campaign results: per arm (each variant and the control group) and per step, from grouped queries only."""

import math
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date

from django.db.models import Count, Q
from django.db.models.functions import TruncDate

from campaigns.models import Campaign, CampaignEntry
from messaging.models import Delivery, DeliveryStatus

SIGNIFICANCE = 0.05


@dataclass
class Arm:
    name: str
    variant_id: int | None
    control: bool = False
    audience: int = 0          # customers entered in this arm
    converted: int = 0         # of those, converted within the attribution window
    planned: int = 0
    sent: int = 0
    failed: int = 0
    opened: int = 0
    clicked: int = 0
    suppressed: dict[str, int] = field(default_factory=dict)
    # against the control group
    uplift: float | None = None       # conversion rate difference, in percentage points
    z: float | None = None
    p_value: float | None = None

    @property
    def conversion_rate(self) -> float:
        return self.converted / self.audience if self.audience else 0.0

    @property
    def open_rate(self) -> float:
        return self.opened / self.sent if self.sent else 0.0

    @property
    def click_rate(self) -> float:
        return self.clicked / self.sent if self.sent else 0.0

    @property
    def significant(self) -> bool:
        return self.p_value is not None and self.p_value < SIGNIFICANCE

    @property
    def verdict(self) -> str:
        if self.control:
            return "control group (never sent)"
        if self.p_value is None:
            return "no control group to compare with" if self.uplift is None else "not enough data yet"
        if self.significant:
            direction = "better" if (self.uplift or 0) > 0 else "worse"
            return f"significantly {direction} than control (p = {self.p_value:.3f})"
        return f"not yet significant (p = {self.p_value:.2f}): the difference may be chance"


@dataclass
class StepFunnel:
    position: int
    planned: int
    sent: int
    opened: int
    clicked: int
    converted: int


@dataclass
class Results:
    arms: list[Arm]
    steps: list[StepFunnel]
    daily: list[tuple[date, int, int, int]]  # day, sends, opens, conversions

    @property
    def total(self) -> Arm:
        total = Arm(name="All treated", variant_id=None)
        for arm in self.arms:
            if arm.control:
                continue
            for name in ("audience", "converted", "planned", "sent", "failed", "opened", "clicked"):
                setattr(total, name, getattr(total, name) + getattr(arm, name))
            for reason, n in arm.suppressed.items():
                total.suppressed[reason] = total.suppressed.get(reason, 0) + n
        return total


def two_proportion_z(x1: int, n1: int, x2: int, n2: int) -> tuple[float, float] | None:
    """z statistic and two-sided p-value for p1 = x1/n1 against p2 = x2/n2; None when undefined."""
    if not n1 or not n2:
        return None
    pooled = (x1 + x2) / (n1 + n2)
    se = math.sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2))
    if se == 0:
        return None
    z = (x1 / n1 - x2 / n2) / se
    return z, math.erfc(abs(z) / math.sqrt(2))


def campaign_results(campaign: Campaign) -> Results:
    arms: dict[tuple[bool, int | None], Arm] = {}
    names = {v.pk: v.name for v in campaign.variants.all()}

    def arm(control: bool, variant_id: int | None) -> Arm:
        key = (control, None if control else variant_id)
        if key not in arms:
            name = "Control" if control else names.get(variant_id, "Main" if variant_id is None else "?")
            arms[key] = Arm(name=name, variant_id=key[1], control=control)
        return arms[key]

    for row in (CampaignEntry.objects.filter(campaign=campaign).values("in_control", "variant_id")
                .annotate(n=Count("id"), converted=Count("id", filter=Q(converted_at__isnull=False)))):
        a = arm(row["in_control"], row["variant_id"])
        a.audience += row["n"]
        a.converted += row["converted"]

    deliveries = Delivery.objects.filter(campaign_id=campaign.pk)
    for row in (deliveries.values("variant_id", "status", "suppressed_reason")
                .annotate(n=Count("id"), opened=Count("id", filter=Q(opened_at__isnull=False)),
                          clicked=Count("id", filter=Q(clicked_at__isnull=False)))):
        a = arm(False, row["variant_id"])
        a.planned += row["n"]
        if row["status"] == DeliveryStatus.SENT:
            a.sent += row["n"]
        elif row["status"] == DeliveryStatus.FAILED:
            a.failed += row["n"]
        elif row["status"] == DeliveryStatus.SUPPRESSED:
            reason = row["suppressed_reason"] or "unknown"
            a.suppressed[reason] = a.suppressed.get(reason, 0) + row["n"]
        a.opened += row["opened"]
        a.clicked += row["clicked"]

    control = arms.get((True, None))
    for a in arms.values():
        if a.control or control is None:
            continue
        a.uplift = (a.conversion_rate - control.conversion_rate) * 100
        test = two_proportion_z(a.converted, a.audience, control.converted, control.audience)
        if test:
            a.z, a.p_value = test

    positions = dict(campaign.steps.values_list("pk", "position"))
    steps = [
        StepFunnel(position=positions.get(r["step_id"], 0), planned=r["n"], sent=r["sent"], opened=r["opened"],
                   clicked=r["clicked"], converted=r["converted"])
        for r in deliveries.values("step_id").annotate(
            n=Count("id"), sent=Count("id", filter=Q(status=DeliveryStatus.SENT)),
            opened=Count("id", filter=Q(opened_at__isnull=False)),
            clicked=Count("id", filter=Q(clicked_at__isnull=False)),
            converted=Count("id", filter=Q(converted_at__isnull=False)))
    ]
    steps.sort(key=lambda s: s.position)

    series: dict[date, list[int]] = defaultdict(lambda: [0, 0, 0])
    for column, index in (("sent_at", 0), ("opened_at", 1), ("converted_at", 2)):
        for row in (deliveries.filter(**{f"{column}__isnull": False}).annotate(day=TruncDate(column))
                    .values("day").annotate(n=Count("id"))):
            series[row["day"]][index] += row["n"]
    daily = [(day, *values) for day, values in sorted(series.items())]
    ordered = sorted(arms.values(), key=lambda a: (a.control, a.name))
    return Results(arms=ordered, steps=steps, daily=daily)
