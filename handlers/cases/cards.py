"""How a case looks: the staff card with its buttons, and the resident's view of it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import inspect
from sqlalchemy.orm.base import NO_VALUE

from bot.engine.replies import Button, Keyboard, keyboard
from bot.i18n import translate
from handlers.cases import sla
from handlers.cases.buttons import StaffAction, StaffPress
from storage import working_hours
from storage.models import (
    Case,
    CaseKind,
    CaseStatus,
    Compound,
    Residency,
    ResidencyRole,
    ResidencyStatus,
)

ICONS = {
    CaseKind.REPAIR: "🔧",
    CaseKind.COMPLAINT: "📣",
    CaseKind.INQUIRY: "💬",
    CaseKind.EMERGENCY: "🚨",
}

ANSWERABLE = (CaseStatus.SUBMITTED, CaseStatus.ASSIGNED, CaseStatus.IN_PROGRESS)


def local_time(moment: datetime | None, compound: Compound) -> str:
    if moment is None:
        return "—"
    return moment.astimezone(ZoneInfo(compound.timezone)).strftime("%m-%d %H:%M")


def promised_time(locale: str, case: Case, compound: Compound, due: datetime | None) -> str:
    """A time promised to a resident: "12-02 09:38", and for a normal request, which waits
    for the office to open, "(counting working hours, 08:30–17:30)" after it."""
    text = local_time(due, compound)
    if due is not None and sla.counts_office_hours(case, compound):
        text += translate(locale, "case-due-office-hours", hours=working_hours.of(compound).text)
    return text


def category_label(locale: str, case: Case) -> str:
    return translate(locale, f"case-category-{case.kind.value}-{case.category}")


def kind_and_category(locale: str, case: Case) -> str:
    """ "报修 · 水管/下水"; a kind whose only category reads the same (a question) is named
    once, not "咨询 · 咨询"."""
    kind = translate(locale, f"case-kind-{case.kind.value}")
    category = category_label(locale, case)
    return kind if category == kind else f"{kind} · {category}"


def filer_role(case: Case) -> ResidencyRole | None:
    """How the filer lives in the compound: their residency for the case's home, else any
    approved one. None when unknown or not loaded (a card never loads it lazily)."""
    loaded = inspect(case).attrs.filer_residencies.loaded_value
    if loaded is NO_VALUE:
        return None
    residencies: list[Residency] = loaded
    approved = [r for r in residencies if r.status is ResidencyStatus.APPROVED]
    for residency in approved:
        if residency.unit_id == case.unit_id:
            return residency.role
    return approved[0].role if approved else None


def location_text(locale: str, case: Case) -> str:
    """Where the case is: the home, or a common area (building and place, or just the place
    when no building was named, as for an emergency in the garage)."""
    if case.unit is not None:
        return translate(locale, "case-location-unit", unit=case.unit.label)
    if case.place and not case.building:
        return translate(locale, "case-location-common-place", place=case.place)
    if case.building or case.place:
        return translate(
            locale,
            "case-location-common",
            building=case.building or "—",
            place=case.place or translate(locale, "case-location-no-place"),
        )
    return "—"


def staff_card_text(case: Case, compound: Compound, *, reveal: bool = False) -> str:
    """The card in the staff chat, in the compound's language. An anonymous complaint shows
    no name and no unit unless `reveal` (managers only, in private)."""
    locale = compound.locale
    anonymous = case.anonymous and not reveal
    resident = (
        translate(locale, "case-anonymous")
        if anonymous
        else f"{case.resident.name or '—'}"
        + (f" · {case.unit.label}" if case.unit is not None else "")
    )
    lines = [
        translate(
            locale,
            "case-card-title",
            icon=ICONS[case.kind],
            number=case.number,
            title=kind_and_category(locale, case),
        ),
        translate(
            locale,
            "case-card-state",
            urgency=translate(locale, f"urgency-{case.urgency.value}"),
            status=translate(locale, f"case-status-{case.status.value}"),
            assignee=case.assignee.name if case.assignee else "—",
        ),
        translate(
            locale,
            "case-card-where",
            location=translate(locale, "case-anonymous-location")
            if anonymous and case.unit is not None
            else location_text(locale, case),
        ),
        translate(locale, _who_key(case, anonymous), resident=resident),
        translate(locale, "case-card-what", description=case.description or "—"),
    ]
    if case.photos:
        lines.append(translate(locale, "case-card-photos", count=len(case.photos)))
    if case.visit_window:
        lines.append(
            translate(
                locale, "case-card-visit", window=translate(locale, f"visit-{case.visit_window}")
            )
        )
    if case.mediation:
        lines.append(translate(locale, "case-card-mediation"))
    lines.append(
        translate(
            locale,
            "case-card-due",
            response=local_time(case.response_due, compound),
            resolve=local_time(case.resolve_due, compound),
        )
    )
    if case.escalated_at is not None:
        lines.append(translate(locale, "case-card-escalated"))
    if case.status is CaseStatus.RESOLVED and case.resolved_at:
        lines.append(
            translate(locale, "case-card-resolved", at=local_time(case.resolved_at, compound))
        )
    if case.rating is not None:
        lines.append(translate(locale, "case-card-rating", stars="★" * case.rating))
    return "\n".join(lines)


def _who_key(case: Case, anonymous: bool) -> str:
    """Owner, tenant or family member by the filer's residency; "resident" when unknown (or
    for an anonymous complaint, where the role would narrow who it is)."""
    role = None if anonymous else filer_role(case)
    return f"case-card-who-{role.value}" if role is not None else "case-card-who"


def staff_card_buttons(case: Case, compound: Compound) -> Keyboard:
    """What staff can do next; a closed case keeps no buttons."""
    locale = compound.locale

    def b(action: StaffAction) -> Button:
        return Button(
            translate(locale, f"case-btn-{action.value}"), StaffPress(case.id, action).pack()
        )

    rows: list[list[Button]] = []
    # A question is settled by answering it, so its card offers Answer where others offer
    # Resolve (and before anyone takes it: answering takes it).
    if case.kind is CaseKind.INQUIRY and case.status in ANSWERABLE:
        rows.append([b(StaffAction.ANSWER)])
        if case.status is CaseStatus.SUBMITTED:
            rows.append([b(StaffAction.TAKE), b(StaffAction.ASSIGN)])
        else:
            rows.append([b(StaffAction.ASSIGN)])
    else:
        rows.extend(_lifecycle_rows(case, b))
    if case.status.is_open:
        rows.append([b(StaffAction.ASK), b(StaffAction.NOTE)])
        if case.anonymous:
            rows.append([b(StaffAction.IDENTITY)])
    return keyboard(*rows)


def _lifecycle_rows(case: Case, b: Callable[[StaffAction], Button]) -> list[list[Button]]:
    rows: list[list[Button]] = []
    match case.status:
        case CaseStatus.SUBMITTED:
            rows.append([b(StaffAction.TAKE), b(StaffAction.ASSIGN)])
        case CaseStatus.ASSIGNED:
            rows.append([b(StaffAction.START), b(StaffAction.ASSIGN)])
            rows.append([b(StaffAction.RESOLVE)])
        case CaseStatus.IN_PROGRESS:
            rows.append([b(StaffAction.RESOLVE), b(StaffAction.ASSIGN)])
        case _:
            pass
    return rows


def resident_summary(locale: str, case: Case, compound: Compound) -> str:
    """One case as its resident sees it in /mycases."""
    return translate(
        locale,
        "case-resident-summary",
        icon=ICONS[case.kind],
        number=case.number,
        category=category_label(locale, case),
        status=translate(locale, f"case-status-{case.status.value}"),
        next=translate(locale, f"case-next-{case.status.value}"),
        created=local_time(case.created_at, compound),
    )
