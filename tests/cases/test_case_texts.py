"""How cases are labelled: a question's card names its kind once, and the filer is named by
how they live in the compound (owner, tenant, family), not "owner" for everyone."""

from __future__ import annotations

from storage.models import CaseKind
from tests.cases.test_staff_cases import RESIDENT, RESIDENT_EN, card, file_case
from tests.harness import Harness


async def test_a_tenant_is_labelled_tenant_and_an_owner_owner(harness: Harness) -> None:
    await file_case(harness, RESIDENT_EN)
    assert "租户：David Chen" in card(harness).text and "业主：" not in card(harness).text
    await file_case(harness, RESIDENT)
    assert "业主：王芳" in card(harness).text


async def test_a_question_card_names_its_kind_once(harness: Harness) -> None:
    await file_case(harness, RESIDENT, kind=CaseKind.INQUIRY, category="inquiry")
    title = card(harness).text.splitlines()[0]
    assert title.endswith("· 咨询") and "咨询 · 咨询" not in title
