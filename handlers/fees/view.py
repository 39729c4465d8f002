"""What residents and managers read about fees, in their language. Amounts are written from
whole cents by the compound's currency (`FeeSettings.money`)."""

from __future__ import annotations

from datetime import date

from bot.i18n import Translator
from handlers.fees.rules import AGE_BUCKETS, Arrears, Collection, Disclosure, Statement, rate
from storage.fee_settings import FeeSettings
from storage.models import FeeItem

HISTORY_LINES = 24


def item_name(t: Translator, item: FeeItem) -> str:
    return t(f"fees-item-{item.value}")


def day_text(locale: str, day: date) -> str:
    return f"{day.month}月{day.day}日" if locale == "zh" else day.strftime("%-d %b %Y")


def statement_text(t: Translator, locale: str, found: Statement, channels: str) -> str:
    """The fee view of one home: owed now, overdue since when, late fee, last twelve months,
    how to pay."""
    money = found.settings.money
    parts = [t("fees-title", unit=found.unit.label)]
    if not found.owed:
        parts.append(t("fees-nothing-owed"))
    else:
        lines = [t("fees-owed-total", amount=money(found.total))]
        for owed in found.owed:
            line = owed.line
            values = {
                "period": line.period,
                "item": item_name(t, line.item),
                "amount": money(line.owed),
                "due": day_text(locale, line.due_on),
            }
            if line.paid:
                values["amount"] = t(
                    "fees-partly-paid", owed=money(line.owed), billed=money(line.amount)
                )
            if owed.overdue_days:
                lines.append(t("fees-line-overdue", days=owed.overdue_days, **values))
            else:
                lines.append(t("fees-line-due", **values))
        parts.append("\n".join(lines))
        since = found.overdue_since
        if since is not None:
            parts.append(t("fees-overdue-since", day=day_text(locale, since)))
        late = found.settings.late_fee
        if late is not None and found.late_fees:
            parts.append(
                t("fees-late-fee", amount=money(found.late_fees), rule=late.describe(locale))
            )
    if found.history:
        billed = sum(line.amount for line in found.history)
        paid = sum(min(line.paid, line.amount) for line in found.history)
        rows = [t("fees-history", count=len(found.history), billed=money(billed), paid=money(paid))]
        for line in found.history[-HISTORY_LINES:]:
            mark = "✅" if line.owed == 0 else "⏳"
            rows.append(f"{mark} {line.period} {item_name(t, line.item)} {money(line.amount)}")
        parts.append("\n".join(rows))
    if found.owed:
        parts.append(t("fees-how-to-pay", channels=channels))
    return "\n\n".join(parts)


def collection_text(
    t: Translator, settings: FeeSettings, compound: str, period: str, figures: Collection
) -> str:
    money = settings.money
    lines = [
        t("fees-manager-title", compound=compound, period=period),
        t(
            "fees-manager-rate",
            rate=figures.rate,
            billed=money(figures.billed),
            paid=money(figures.paid),
        ),
    ]
    if figures.billed:
        buildings = " · ".join(
            t("fees-manager-building", building=name, rate=rate(paid, billed))
            for name, (billed, paid) in sorted(figures.by_building.items())
        )
        items = " · ".join(
            f"{item_name(t, item)} {rate(paid, billed)}"
            for item, (billed, paid) in sorted(figures.by_item.items())
        )
        lines.append(t("fees-manager-by-building", rates=buildings))
        lines.append(t("fees-manager-by-item", rates=items))
    return "\n".join(lines)


def arrears_text(t: Translator, settings: FeeSettings, found: Arrears) -> str:
    money = settings.money
    ages = " · ".join(
        f"{t(f'fees-age-{bucket}')} {money(found.buckets[bucket])}" for bucket in AGE_BUCKETS
    )
    return t(
        "fees-manager-arrears",
        ages=ages,
        total=money(found.total),
        households=len(found.households),
    )


def disclosure_text(t: Translator, locale: str, settings: FeeSettings, found: Disclosure) -> str:
    """The month's summary in one language: income, expenses by category, balance, rate."""
    money = settings.money
    lines = [t("fees-disclosure-title", month=found.month)]
    lines.append(t("fees-disclosure-income", amount=money(found.income_total)))
    lines.extend(f"  • {name} {money(amount)}" for name, amount in found.income)
    lines.append(t("fees-disclosure-expenses", amount=money(found.expense_total)))
    lines.extend(f"  • {name} {money(amount)}" for name, amount in found.expenses)
    lines.append(t("fees-disclosure-balance", amount=money(found.balance)))
    lines.append(t("fees-disclosure-rate", rate=found.collection.rate))
    return "\n".join(lines)


def bilingual_disclosure(settings: FeeSettings, found: Disclosure, first: str) -> str:
    """Both languages, the compound's first: residents of either read it in the group."""
    order = [first, *(loc for loc in ("zh", "en") if loc != first)]
    return "\n\n".join(disclosure_text(Translator(loc), loc, settings, found) for loc in order)
