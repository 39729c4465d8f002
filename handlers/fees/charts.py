"""The disclosure's charts as PNG images: the month's income against its expenses by
category, and the collection rate of the last twelve months.

Drawn with matplotlib on its Agg backend (no display needed). matplotlib is loaded the first
time a chart is drawn, not when the bot starts: most processes never draw one, and importing
it costs a noticeable share of a second and of memory. Each PNG carries the numbers it plots
as JSON in its `Description` text chunk, so what a chart shows can be checked without reading
pixels. Chinese labels need a CJK font on the machine (e.g. Noto Sans CJK); without one
matplotlib draws boxes for those characters and the numbers stay right.
"""

from __future__ import annotations

import importlib
import io
import json
import logging
import warnings
from typing import Any

from handlers.fees.rules import Disclosure
from storage.fee_settings import FeeSettings

log = logging.getLogger(__name__)
# A machine without a CJK font draws Chinese labels as boxes, once per glyph a warning; the
# numbers are right either way, and the docs say which font to install. (A filter, not
# `catch_warnings`: charts are drawn in worker threads, and that context manager is not
# thread-safe.)
warnings.filterwarnings("ignore", message="Glyph .* missing from font", category=UserWarning)
FONTS = [
    "Noto Sans CJK SC",
    "Noto Sans SC",
    "Source Han Sans SC",
    "WenQuanYi Zen Hei",
    "PingFang SC",
    "Microsoft YaHei",
    "SimHei",
    "DejaVu Sans",
]
INCOME_COLOUR, EXPENSE_COLOUR, RATE_COLOUR = "#2e7d32", "#c62828", "#1565c0"


def _figure(width: float, height: float) -> Any:
    """A new figure on the Agg backend, loaded on first use. Figures are made without pyplot
    (no global state), so two charts may be drawn at once in worker threads."""
    matplotlib = importlib.import_module("matplotlib")
    matplotlib.use("Agg", force=True)
    matplotlib.rcParams["font.sans-serif"] = FONTS
    matplotlib.rcParams["axes.unicode_minus"] = False
    return importlib.import_module("matplotlib.figure").Figure(figsize=(width, height))


def _png(figure: Any, numbers: dict[str, Any]) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(
        buffer,
        format="png",
        dpi=110,
        bbox_inches="tight",
        metadata={"Description": json.dumps(numbers, ensure_ascii=False)},
    )
    return buffer.getvalue()


def income_and_expenses(disclosure: Disclosure, settings: FeeSettings) -> bytes:
    """Bars: income by category beside expenses by category, in whole currency units."""
    income = [(name, cents / 100) for name, cents in disclosure.income]
    expenses = [(name, cents / 100) for name, cents in disclosure.expenses]
    figure = _figure(8, 4.5)
    axes = figure.subplots()
    labels = [name for name, _ in income] + [name for name, _ in expenses]
    values = [value for _, value in income] + [value for _, value in expenses]
    colours = [INCOME_COLOUR] * len(income) + [EXPENSE_COLOUR] * len(expenses)
    bars = axes.barh(range(len(values)), values, color=colours)
    axes.set_yticks(range(len(values)), labels)
    axes.invert_yaxis()
    axes.bar_label(bars, labels=[f"{v:,.2f}" for v in values], padding=3, fontsize=8)
    axes.set_xlabel(f"{settings.currency}")
    axes.set_title(
        f"{disclosure.month} 收入与支出 Income and expenses\n"
        f"收入 income {disclosure.income_total / 100:,.2f} · "
        f"支出 expenses {disclosure.expense_total / 100:,.2f} · "
        f"结余 balance {disclosure.balance / 100:,.2f}"
    )
    axes.spines[["top", "right"]].set_visible(False)
    numbers = {
        "month": disclosure.month,
        "currency": settings.currency,
        "income_cents": dict(disclosure.income),
        "expense_cents": dict(disclosure.expenses),
        "balance_cents": disclosure.balance,
    }
    return _png(figure, numbers)


def collection_trend(disclosure: Disclosure) -> bytes:
    """A line: the share of each month's bills collected, for the last twelve months."""
    months = [month for month, _, _ in disclosure.trend]
    # Percent with one decimal, from integers; a month with no bills is left out of the line.
    rates = [
        (paid * 1000 // billed) / 10 if billed else None for _, billed, paid in disclosure.trend
    ]
    figure = _figure(8, 3.8)
    axes = figure.subplots()
    points = [(i, r) for i, r in enumerate(rates) if r is not None]
    axes.plot([i for i, _ in points], [r for _, r in points], marker="o", color=RATE_COLOUR)
    for i, r in points:
        axes.annotate(
            f"{r:.1f}%", (i, r), textcoords="offset points", xytext=(0, 6), ha="center", fontsize=8
        )
    axes.set_xticks(range(len(months)), [m[2:] for m in months], rotation=45)
    axes.set_ylim(0, 105)
    axes.set_ylabel("%")
    axes.set_title("收缴率（近12个月） Collection rate, last 12 months")
    axes.grid(axis="y", alpha=0.3)
    axes.spines[["top", "right"]].set_visible(False)
    numbers = {
        "months": months,
        "rate_percent": rates,
        "billed_cents": [billed for _, billed, _ in disclosure.trend],
        "collected_cents": [paid for _, _, paid in disclosure.trend],
    }
    return _png(figure, numbers)
