"""`/emergency`: a manager tells residents of an emergency (or a drill) and asks each how they
are, in a private chat or in the staff chat.

```mermaid
stateDiagram-v2
    [*] --> choosing_template: /emergency
    choosing_template --> writing_text: write my own
    choosing_template --> choosing_audience: otherwise
    writing_text --> choosing_audience
    choosing_audience --> choosing_interval
    choosing_interval --> confirming
    confirming --> writing_text: edit the text, then back to confirming
```
At the preview, "change who gets it" asks the audience again and "send now" or "cancel" ends
the form.
The manager picks a template (fire, gas leak, flood, power cut, lift, drill: both languages)
or types a text, may edit it, picks the whole compound or buildings, and the interval after
which the message may be re-sent to those who have not answered. The preview shows what
residents read and how many households and people it reaches; nothing goes out before "Send
now". Then, in one transaction: the roll-call and one row per person asked; an urgent
broadcast (before every other message, ignoring quiet hours and mutes) to each resident in
their language with the three answer buttons, and the same text posted and pinned in the
residents' group; the board in the staff chat; the manager's message with re-send and
all-clear (handlers/emergencies/rollcall.py). Anyone but a manager of the compound is refused.
"""

from __future__ import annotations

import enum
from datetime import timedelta

from pydantic import BaseModel, Field

from bot.engine.bulk import open_broadcast, queue
from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from bot.engine.replies import Button, Send, keyboard
from bot.i18n import LOCALES
from handlers.cases.cards import local_time
from handlers.emergencies import rollcall
from handlers.emergencies.templates import (
    CUSTOM,
    DRILL,
    TEMPLATES,
    TEXT_MAX,
    drill_mark,
    template_texts,
    text_for,
    title,
)
from handlers.forms import Choice, Form, Step, form_button, nothing, one_of, reset
from handlers.staff.team import managed_compound
from handlers.widgets import in_rows, typed_text
from storage.models import BroadcastKind, ChatPurpose, Compound, RollCall
from storage.repos import rollcalls
from storage.repos.audience import AudienceSpec, Topic, household_count, recipients
from storage.repos.compounds import buildings_of, chat_binding, compound_by_id, resident_group

FLOW = "emergency_broadcast"
CHOOSING_TEMPLATE = "choosing_template"
WRITING_TEXT = "writing_text"
CHOOSING_AUDIENCE = "choosing_audience"
CHOOSING_INTERVAL = "choosing_interval"
CONFIRMING = "confirming"
# Minutes after which the manager may re-send to those who have not answered.
INTERVALS = (5, 10, 15, 30)


class Review(enum.StrEnum):
    SEND = "s"
    TEXT = "t"
    AUDIENCE = "a"
    CANCEL = "x"


class EmergencyDraft(BaseModel):
    """The broadcast as far as the manager has set it up."""

    compound_id: int
    template: str | None = None  # one of TEMPLATES, or CUSTOM
    # What residents read, per locale; the manager's own text is the same for every locale.
    texts: dict[str, str] = Field(default_factory=dict)
    # Shown when the manager edits the text, to copy from.
    previous: str | None = None
    buildings: list[str] = Field(default_factory=list)  # empty: the whole compound
    audience_done: bool = False
    minutes: int | None = None


def _draft_text(ctx: Context, draft: EmergencyDraft) -> str:
    return text_for(draft.texts, ctx.locale)


async def start(ctx: Context) -> None:
    """/emergency: in a private chat or the compound's staff chat, by one of its managers."""
    compound = await _compound(ctx)
    if compound is not None:
        await FORM.start(ctx, EmergencyDraft(compound_id=compound.id))


async def _compound(ctx: Context) -> Compound | None:
    """The compound a manager broadcasts to; replies and returns None for anyone else."""
    if not ctx.event.is_private:
        binding = await chat_binding(ctx.session, ctx.chat_id)
        if binding is None or binding.purpose is not ChatPurpose.STAFF:
            ctx.say("rollcall-where")
            return None
        if not ctx.actor.is_manager(binding.compound_id):
            ctx.say("rollcall-not-manager")
            return None
        return await compound_by_id(ctx.session, binding.compound_id)
    managed = [c for c in ctx.actor.compound_ids() if ctx.actor.is_manager(c)]
    if not managed and not ctx.actor.global_manager:
        ctx.say("rollcall-not-manager")
        return None
    return await managed_compound(ctx, ctx.event.args.strip() or None)


# ── Steps ──


async def ask_template(ctx: Context, draft: EmergencyDraft) -> None:
    buttons = [
        form_button(ctx, FLOW, title(ctx.locale, name), "template", name) for name in TEMPLATES
    ]
    own = form_button(ctx, FLOW, ctx.t("rollcall-btn-own-text"), "template", CUSTOM)
    ctx.say("rollcall-choose-template", keyboard(*in_rows(buttons), [own]))


async def take_template(ctx: Context, draft: EmergencyDraft, template: str) -> bool:
    draft.template = template
    draft.texts = {} if template == CUSTOM else template_texts(template)
    ctx.edit(title(ctx.locale, template))
    return True


async def typed_instead_of_template(ctx: Context, draft: EmergencyDraft) -> bool:
    """Text typed at the first question is the manager's own message."""
    return _take_text(ctx, draft)


async def ask_text(ctx: Context, draft: EmergencyDraft) -> None:
    if draft.previous:
        ctx.say("rollcall-edit-current", limit=TEXT_MAX, text=draft.previous)
    else:
        ctx.say("rollcall-write-text", limit=TEXT_MAX)


async def writing_text(ctx: Context, draft: EmergencyDraft) -> bool:
    return _take_text(ctx, draft)


def _take_text(ctx: Context, draft: EmergencyDraft) -> bool:
    text = typed_text(ctx, minimum=2, limit=TEXT_MAX)
    if text is None:
        return False
    if draft.template is None or draft.template == CUSTOM or not draft.texts:
        # A template whose text was edited stays that kind (a drill stays a drill).
        draft.template = draft.template or CUSTOM
    draft.texts = {locale: text for locale in LOCALES}
    draft.previous = None
    return True


async def ask_audience(ctx: Context, draft: EmergencyDraft) -> None:
    buildings = await buildings_of(ctx.session, draft.compound_id)
    whole = form_button(ctx, FLOW, ctx.t("rollcall-btn-whole"), "whole")
    rows = in_rows(
        [
            form_button(
                ctx,
                FLOW,
                ("✓ " if b.name in draft.buildings else "")
                + ctx.t("rollcall-btn-building", building=b.name),
                "building",
                b.name,
            )
            for b in buildings
        ],
        width=3,
    )
    done = form_button(ctx, FLOW, ctx.t("rollcall-btn-done"), "done")
    chosen = ", ".join(draft.buildings) or ctx.t("rollcall-nothing-chosen")
    ctx.say("rollcall-choose-audience", keyboard([whole], *rows, [done]), chosen=chosen)


async def take_whole(ctx: Context, draft: EmergencyDraft, _: None) -> bool:
    draft.buildings, draft.audience_done = [], True
    ctx.edit(ctx.t("rollcall-audience-whole"))
    return True


async def take_building(ctx: Context, draft: EmergencyDraft, name: str) -> bool:
    """Adds the building to the audience, or takes it out again."""
    known = {b.name for b in await buildings_of(ctx.session, draft.compound_id)}
    if name not in known:
        ctx.toast(ctx.t("common-button-invalid"), alert=True)
        return False
    if name in draft.buildings:
        draft.buildings.remove(name)
    else:
        draft.buildings.append(name)
    return True  # the question again, showing what is chosen


async def take_done(ctx: Context, draft: EmergencyDraft, _: None) -> bool:
    if not draft.buildings:
        ctx.toast(ctx.t("rollcall-choose-buildings-first"), alert=True)
        return False
    draft.audience_done = True
    ctx.edit(rollcall.audience_text(ctx.locale, draft.buildings))
    return True


async def ask_interval(ctx: Context, draft: EmergencyDraft) -> None:
    buttons = [
        form_button(ctx, FLOW, ctx.t("rollcall-btn-minutes", minutes=m), "minutes", m)
        for m in INTERVALS
    ]
    ctx.say("rollcall-choose-interval", keyboard(buttons))


def _minutes(raw: str) -> int:
    return int(one_of([str(m) for m in INTERVALS])(raw))


async def take_minutes(ctx: Context, draft: EmergencyDraft, minutes: int) -> bool:
    draft.minutes = minutes
    ctx.edit(ctx.t("rollcall-btn-minutes", minutes=minutes))
    return True


async def ask_confirm(ctx: Context, draft: EmergencyDraft) -> None:
    """The preview: exactly what residents of the manager's language read, how many
    households and people it reaches, and the buttons; nothing is sent yet."""
    compound = await compound_by_id(ctx.session, draft.compound_id)
    assert compound is not None
    spec = AudienceSpec(buildings=tuple(draft.buildings))
    people = await recipients(
        ctx.session, compound, spec, default_locale=ctx.services.settings.default_locale
    )
    households = await household_count(ctx.session, compound, spec)
    shown = ctx.t(
        "rollcall-message",
        mark=drill_mark(ctx.locale, draft.template == DRILL),
        compound=compound.name,
        text=_draft_text(ctx, draft),
    )

    def review(key: str, choice: Review) -> list[Button]:
        return [form_button(ctx, FLOW, ctx.t(key), "review", choice)]

    ctx.say(
        "rollcall-preview",
        keyboard(
            review("rollcall-btn-send", Review.SEND),
            review("rollcall-btn-edit-text", Review.TEXT),
            review("rollcall-btn-change-audience", Review.AUDIENCE),
            review("rollcall-btn-cancel", Review.CANCEL),
        ),
        text=shown,
        audience=rollcall.audience_text(ctx.locale, draft.buildings),
        households=households,
        people=len(people),
        minutes=draft.minutes,
    )


async def confirming_text(ctx: Context, draft: EmergencyDraft) -> bool:
    ctx.say("rollcall-use-buttons")
    return False


async def take_review(ctx: Context, draft: EmergencyDraft, choice: Review) -> bool:
    if choice is Review.CANCEL:
        ctx.conversation.finish()
        ctx.edit(ctx.t("rollcall-cancelled"))
        return False
    if choice is Review.TEXT:
        draft.previous = _draft_text(ctx, draft)
        reset(draft, ["texts"])
        return True
    if choice is Review.AUDIENCE:
        reset(draft, ["buildings", "audience_done"])
        return True
    return await send(ctx, draft)


# ── Sending ──


async def send(ctx: Context, draft: EmergencyDraft) -> bool:
    """Everything goes out in this event's transaction: the roll-call and its rows, the
    urgent broadcast to every resident and the pinned group post, the board, the manager's
    message. Returns False (the form ends) once sent; True to ask for another audience when
    nobody in this one has the bot."""
    compound = await compound_by_id(ctx.session, draft.compound_id)
    if compound is None or not ctx.actor.is_manager(compound.id):
        ctx.toast(ctx.t("common-not-allowed"), alert=True)
        return False
    spec = AudienceSpec(buildings=tuple(draft.buildings))
    people = await recipients(
        ctx.session,
        compound,
        spec,
        topic=Topic.EMERGENCY,
        default_locale=ctx.services.settings.default_locale,
    )
    if not people:
        ctx.say("rollcall-nobody")
        reset(draft, ["buildings", "audience_done"])
        return True
    households = await household_count(ctx.session, compound, spec)
    now = ctx.services.clock()
    minutes = draft.minutes or INTERVALS[1]
    roll = RollCall(
        compound_id=compound.id,
        template=draft.template or CUSTOM,
        drill=draft.template == DRILL,
        texts=dict(draft.texts),
        buildings=list(draft.buildings),
        created_by=ctx.person.id,
        created_at=now,
        manager_chat_id=ctx.chat_id,
        resend_minutes=minutes,
        resend_after=now + timedelta(minutes=minutes),
    )
    asked = [
        rollcalls.Asked(one.person_id, one.unit_id, one.unit_label or "", one.building or "")
        for one in people
    ]
    await rollcalls.add(ctx.session, roll, asked)
    broadcast = await open_broadcast(
        ctx.session,
        compound=compound,
        kind=BroadcastKind.EMERGENCY,
        subject=f"emergency:{roll.id}",
        title=title(compound.locale, roll.template),
        now=now,
        urgent=True,
        created_by=ctx.person.id,
    )
    if broadcast is not None:
        messages: list[Send] = [rollcall.resident_message(roll, compound, one) for one in people]
        group = await resident_group(ctx.session, compound.id)
        if group is not None:
            messages.append(rollcall.group_post(roll, compound, group.chat_id))
        await queue(ctx.session, broadcast, messages, now, compound=compound)
    board = await rollcall.board_send(ctx.session, roll, compound)
    if board is not None:
        # Posted, not yet edited: the first answer shows on it at once.
        ctx.out.append(board)
    ctx.conversation.finish()
    ctx.edit(ctx.t("rollcall-btn-send"))
    ctx.reply(
        ctx.t(
            "rollcall-control",
            mark=drill_mark(ctx.locale, roll.drill),
            people=len(people),
            households=households,
            id=roll.id,
            time=local_time(roll.resend_after, compound),
        ),
        rollcall.control_buttons(ctx.locale, roll.id),
        ref=rollcalls.control_ref(roll.id),
    )
    return False


FORM: Form[EmergencyDraft] = Form(
    flow=FLOW,
    model=EmergencyDraft,
    entries=("/emergency",),
    title="rollcall-form-title",
    restart=start,
    steps=(
        Step(
            CHOOSING_TEMPLATE,
            needed=lambda d: d.template is None,
            ask=ask_template,
            text=typed_instead_of_template,
            choices=(Choice("template", one_of([*TEMPLATES, CUSTOM]), take_template),),
        ),
        Step(
            WRITING_TEXT,
            needed=lambda d: not d.texts,
            ask=ask_text,
            text=writing_text,
            when="write my own",
        ),
        Step(
            CHOOSING_AUDIENCE,
            needed=lambda d: not d.audience_done,
            ask=ask_audience,
            choices=(
                Choice("whole", nothing, take_whole),
                Choice("building", str, take_building),
                Choice("done", nothing, take_done),
            ),
        ),
        Step(
            CHOOSING_INTERVAL,
            needed=lambda d: d.minutes is None,
            ask=ask_interval,
            choices=(Choice("minutes", _minutes, take_minutes),),
        ),
        Step(
            CONFIRMING,
            needed=lambda d: True,
            ask=ask_confirm,
            text=confirming_text,
            choices=(Choice("review", Review, take_review),),
            exits=((WRITING_TEXT, "edit the text, then back to confirming"),),
        ),
    ),
)


def register(flows: Flows) -> None:
    flows.command("emergency", start, audience=Audience.MANAGERS, begins=True)
    FORM.register(flows)
