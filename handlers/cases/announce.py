"""Who hears about a change to a case, and what they read.

After every change the staff card is edited in place, so the staff chat always shows the
current state; the resident (and anyone following the case) is told in their own language;
what residents do is posted to the staff chat, in the case's topic when it has one; breaches
and emergencies reach every manager. Used by event handlers and by the deadline scheduler.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy.ext.asyncio import AsyncSession

from bot.engine.replies import Button, Edit, Keyboard, Outbound, Send, keyboard
from bot.i18n import locale_for, translate
from bot.settings import Settings
from handlers.cases.buttons import RatePress, ResidentAction, ResidentPress
from handlers.cases.cards import category_label, local_time, staff_card_buttons, staff_card_text
from handlers.cases.rules import Change
from handlers.notify import manager_targets
from storage.models import Case, CaseEventKind, CaseKind, Compound
from storage.repos.cases import card_ref, follower_ids, resident_ref, staff_thread
from storage.repos.compounds import staff_chat
from storage.repos.people import people_by_telegram_id

# Changes the resident is told about, and the locale id of what they read.
RESIDENT_TEXT = {
    CaseEventKind.ASSIGNED: "case-told-assigned",
    CaseEventKind.STARTED: "case-told-started",
    CaseEventKind.RESOLVED: "case-told-resolved",
    CaseEventKind.ANSWERED: "case-told-answered",
    CaseEventKind.STAFF_MESSAGE: "case-told-staff-message",
    CaseEventKind.STAFF_QUESTION: "case-told-staff-question",
    CaseEventKind.AUTO_CLOSED: "case-told-auto-closed",
}
# Changes residents make that staff read in the staff chat.
STAFF_TEXT = {
    CaseEventKind.URGED: "case-staff-urged",
    CaseEventKind.RESIDENT_MESSAGE: "case-staff-resident-message",
    CaseEventKind.RATED: "case-staff-rated",
    CaseEventKind.RATING_COMMENT: "case-staff-rating-comment",
    CaseEventKind.REOPENED: "case-staff-reopened",
    CaseEventKind.CANCELLED: "case-staff-cancelled",
}


@dataclass(slots=True)
class Announcer:
    session: AsyncSession
    settings: Settings
    out: list[Outbound] = field(default_factory=list)

    async def _compound(self, case: Case) -> Compound:
        compound = await self.session.get(Compound, case.compound_id)
        assert compound is not None
        return compound

    async def created(self, change: Change) -> None:
        """Posts the new case's card to the staff chat (its own topic in a forum), and alerts
        managers of emergencies, anonymous complaints and complaints that ask for mediation."""
        case = change.case
        compound = await self._compound(case)
        chat = await staff_chat(self.session, compound.id)
        text = staff_card_text(case, compound)
        if chat is not None:
            self.out.append(
                Send(
                    chat_id=chat.chat_id,
                    text=text,
                    buttons=staff_card_buttons(case, compound),
                    photos=tuple(case.photos),
                    ref=card_ref(case.id),
                    open_topic=f"{case.number} {category_label(compound.locale, case)}"
                    if chat.is_forum
                    else None,
                )
            )
        # Managers see who filed an anonymous complaint (staff do not), so they get their own
        # named copy, as they do for emergencies, mediation and when no staff chat is bound.
        if case.kind is CaseKind.EMERGENCY or case.mediation or case.anonymous or chat is None:
            await self.to_managers(case, compound, "case-manager-new", card=True)

    async def changed(self, change: Change) -> None:
        case = change.case
        compound = await self._compound(case)
        self.out.append(
            Edit(
                text=staff_card_text(case, compound),
                buttons=staff_card_buttons(case, compound),
                ref=card_ref(case.id),
            )
        )
        if change.kind in RESIDENT_TEXT:
            await self.to_resident(case, compound, change)
        if change.kind in STAFF_TEXT:
            await self.to_staff_chat(
                case,
                compound,
                translate(
                    compound.locale,
                    STAFF_TEXT[change.kind],
                    number=case.number,
                    text=change.text
                    or translate(compound.locale, "case-staff-photos", count=len(change.photos)),
                    stars="★" * (case.rating or 0),
                ),
                photos=change.photos,
            )
        if change.kind is CaseEventKind.ESCALATED:
            await self.to_managers(case, compound, f"case-escalated-{change.text}")
            await self.to_staff_chat(
                case,
                compound,
                translate(compound.locale, f"case-escalated-{change.text}", number=case.number),
            )

    async def to_resident(self, case: Case, compound: Compound, change: Change) -> None:
        """Tells the resident and the case's followers, each in their language."""
        recipients: dict[int, str] = {}
        resident = case.resident
        if resident.telegram_id is not None:
            recipients[resident.telegram_id] = locale_for(
                resident, compound, self.settings.default_locale
            )
        followers = set(await follower_ids(self.session, case.id)) - recipients.keys()
        known = await people_by_telegram_id(self.session, followers)
        for telegram_id in sorted(followers):
            recipients[telegram_id] = locale_for(
                known.get(telegram_id), compound, self.settings.default_locale
            )
        key = RESIDENT_TEXT[change.kind]
        for telegram_id, locale in recipients.items():
            is_owner = telegram_id == resident.telegram_id
            self.out.append(
                Send(
                    chat_id=telegram_id,
                    text=translate(
                        locale,
                        key,
                        number=case.number,
                        category=category_label(locale, case),
                        text=change.text,
                        resolve=local_time(case.resolve_due, compound),
                    ),
                    buttons=self._resident_buttons(locale, case, change.kind) if is_owner else (),
                    ref=resident_ref(case.id) if is_owner else None,
                )
            )

    @staticmethod
    def _resident_buttons(locale: str, case: Case, kind: CaseEventKind) -> Keyboard:
        if kind is CaseEventKind.RESOLVED:
            stars = [Button("★" * n, RatePress(case.id, n).pack()) for n in range(1, 6)]
            reopen = Button(
                translate(locale, "case-btn-reopen"),
                ResidentPress(case.id, ResidentAction.REOPEN).pack(),
            )
            return keyboard(stars[:3], stars[3:], [reopen])
        if kind is CaseEventKind.ANSWERED:
            # A question answered: rate it, ask on (a reply continues the same case), or say
            # it is not answered (reopens it).
            stars = [Button("★" * n, RatePress(case.id, n).pack()) for n in range(1, 6)]
            reply = Button(
                translate(locale, "case-btn-reply"),
                ResidentPress(case.id, ResidentAction.REPLY).pack(),
            )
            reopen = Button(
                translate(locale, "case-btn-not-answered"),
                ResidentPress(case.id, ResidentAction.REOPEN).pack(),
            )
            return keyboard(stars[:3], stars[3:], [reply, reopen])
        if kind in (CaseEventKind.STAFF_MESSAGE, CaseEventKind.STAFF_QUESTION):
            reply = Button(
                translate(locale, "case-btn-reply"),
                ResidentPress(case.id, ResidentAction.REPLY).pack(),
            )
            return keyboard([reply])
        return ()

    async def to_staff_chat(
        self, case: Case, compound: Compound, text: str, *, photos: tuple[str, ...] = ()
    ) -> None:
        chat = await staff_chat(self.session, compound.id)
        if chat is None:
            await self.to_managers(case, compound, None, text=text)
            return
        thread = await staff_thread(self.session, case.id, chat.chat_id)
        self.out.append(Send(chat_id=chat.chat_id, text=text, thread_id=thread, photos=photos))

    async def to_managers(
        self,
        case: Case,
        compound: Compound,
        key: str | None,
        *,
        text: str | None = None,
        card: bool = False,
    ) -> None:
        """Every manager of the compound (and MANAGER_IDS) in private, in their language.
        Managers may see who filed an anonymous complaint, so their copy names the resident."""
        for target in await manager_targets(self.session, self.settings, compound):
            telegram_id, locale = target.chat_id, target.locale
            body = text if text is not None else translate(locale, key or "", number=case.number)
            if card:
                body = body + "\n\n" + staff_card_text(case, compound, reveal=True)
            self.out.append(Send(chat_id=telegram_id, text=body))


async def announce(session: AsyncSession, settings: Settings, change: Change) -> list[Outbound]:
    """The messages that tell everyone concerned about `change`: the new card or its edit, the
    resident's and followers' notices, the staff chat's and managers' alerts."""
    announcer = Announcer(session, settings)
    if change.kind is CaseEventKind.CREATED:
        await announcer.created(change)
    else:
        await announcer.changed(change)
    return announcer.out
