"""The roll call's dashboard figures (寒潮点名), computed when read (live: the progress of a roll call
changes by the minute): over the open roll calls, the people to contact, reached, needing help, not
reached and overdue, per sub-region. Each links to the list of those people (coldwaves:entries)."""

from __future__ import annotations

from collections.abc import Iterable

from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from coldwaves.models import REACHED, Outcome, RollCallEntry
from relief.dashboard.registry import (
    Figure,
    FigureQuery,
    Link,
    Row,
    Section,
    Source,
    counted_rows,
    register,
    state_params,
)

ENTRIES = "coldwaves:entries"
TODO = Q(outcome__in=[Outcome.PENDING, Outcome.NOT_REACHED])


def progress(q: FigureQuery) -> Iterable[Row]:
    measures = {
        "coldwaves.to_contact": Count("pk"),
        "coldwaves.reached": Count("pk", filter=Q(outcome__in=REACHED)),
        "coldwaves.needs_help": Count("pk", filter=Q(outcome=Outcome.NEEDS_HELP)),
        "coldwaves.not_reached": Count("pk", filter=Q(outcome=Outcome.NOT_REACHED)),
        "coldwaves.overdue": Count("pk", filter=TODO & Q(due_at__lt=q.now)),
    }
    open_entries = RollCallEntry.objects.filter(roll_call__closed_at__isnull=True)
    return counted_rows(open_entries, q, measures)


register(
    section=Section("coldwaves", _("寒潮点名"), order=25),
    figures=[
        Figure(
            "coldwaves.to_contact",
            _("寒潮点名应联系"),
            "coldwaves",
            _("人"),
            order=10,
            in_table=True,
            help=_("生效中的寒潮点名须在时限内联系到的高风险对象"),
            link=Link(ENTRIES),
        ),
        Figure(
            "coldwaves.reached",
            _("已联系"),
            "coldwaves",
            _("人"),
            order=20,
            in_table=True,
            link=Link(ENTRIES, state_params("reached")),
        ),
        Figure(
            "coldwaves.reached_share",
            _("点名进度"),
            "coldwaves",
            kind="ratio",
            order=25,
            ratio=("coldwaves.reached", "coldwaves.to_contact"),
            in_table=True,
            target="target_rollcall_reached_pct",
            help=_("生效中的寒潮点名中已联系到的对象占应联系对象的比例"),
            link=Link(
                ENTRIES,
                state_params("reached"),
                same_as="coldwaves.reached",
                note=_("比例；点击查看已联系到的对象"),
            ),
        ),
        Figure(
            "coldwaves.needs_help",
            _("需要帮助"),
            "coldwaves",
            _("人"),
            order=30,
            in_table=True,
            link=Link(ENTRIES, state_params("needs_help")),
        ),
        Figure(
            "coldwaves.not_reached",
            _("未联系上"),
            "coldwaves",
            _("人"),
            order=40,
            link=Link(ENTRIES, state_params("not_reached")),
        ),
        Figure(
            "coldwaves.overdue",
            _("超时未联系"),
            "coldwaves",
            _("人"),
            order=50,
            in_table=True,
            link=Link(ENTRIES, state_params("overdue")),
        ),
    ],
    sources=[Source("coldwaves.progress", progress, live=True)],
)
