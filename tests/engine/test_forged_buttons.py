"""Forged button data with numbers no id column can hold: refused as an invalid button, not
discovered by the database (which raised and posted an error alert to the staff chat)."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Annotated

import pytest

from bot.engine.buttons import ButtonData, ChatId, IntRange, InvalidButton
from bot.i18n import translate
from storage import demo
from tests.harness import Harness

STRANGER = 700100001


@pytest.mark.parametrize(
    "data",
    [
        "cs:9223372036854775808:t",  # past a 64-bit integer: SQLite cannot bind it
        "cs:2147483648:t",  # past a 32-bit integer: PostgreSQL's INTEGER overflows
        "cs:-1:t",
        "cs:+5:t",
        "cs: 5:t",
        "cs:5_0:t",
        "cs:٣:t",  # an Arabic-Indic digit, which int() would accept
        "ca:1:99999999999999999999",
        "rt:1:-2147483649",
    ],
)
async def test_out_of_range_ids_get_the_invalid_button_toast(
    any_harness: Harness, data: str
) -> None:
    before = len(any_harness.transport.to(demo.STAFF_CHAT_ID))
    await any_harness.press(STRANGER, data, lang="en")
    toast = any_harness.transport.toasts[-1]
    assert toast.alert and toast.text == translate("en", "common-button-invalid")
    # No error alert (or anything else) reached the staff chat.
    assert len(any_harness.transport.to(demo.STAFF_CHAT_ID)) == before
    assert all("reference" not in s.text for s in any_harness.transport.to(STRANGER))


@dataclass(frozen=True, slots=True)
class _Relay(ButtonData):
    prefix = "zzrelay"
    chat: ChatId
    offset: Annotated[int, IntRange(-10, 10)]
    count: int


def test_int_fields_are_non_negative_32_bit_unless_annotated() -> None:
    assert _Relay.unpack("zzrelay:-1001234567890:-3:2147483647") == _Relay(
        -1001234567890, -3, 2147483647
    )
    for raw in ("zzrelay:1:11:0", "zzrelay:1:0:-1", "zzrelay:1:0:2147483648"):
        with pytest.raises(InvalidButton):
            _Relay.unpack(raw)
    with pytest.raises(InvalidButton):
        _Relay.unpack("zzrelay:9223372036854775808:0:0")


def test_packing_an_out_of_range_value_is_a_programming_error() -> None:
    with pytest.raises(ValueError, match="out of range"):
        dataclasses.replace(_Relay(1, 0, 0), count=-1).pack()


@pytest.mark.parametrize("data", ["fk:", "dr:c:repair:", "fp:repair:category:plumbing:"])
async def test_an_empty_nonce_is_stale_when_no_conversation_is_active(
    harness: Harness, data: str
) -> None:
    """With no conversation the stored nonce is empty too: a forged empty one must not match."""
    group = demo.RESIDENT_GROUP_ID
    before = len(harness.transport.to(group))
    await harness.press(1001, data, chat=group)
    assert harness.transport.toasts[-1].alert
    assert len(harness.transport.to(group)) == before


async def test_the_menu_never_lists_a_residents_cases_in_a_group(harness: Harness) -> None:
    group = demo.RESIDENT_GROUP_ID
    await harness.say(1001, "我家水管漏水了，厨房地上全是水")  # their own repair form is open
    await harness.press(1001, "m:mycases", chat=group)
    reply = harness.transport.last(group)
    assert "R-" not in reply.text
    assert any(b[1] is None for row in reply.buttons for b in row)  # the link to a private chat
