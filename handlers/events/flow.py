"""Community events: what registers them with the engine.

- `/event` (staff and managers, private): describe, preview and publish (`create.py`).
- `/events`, the menu, free text the router calls `event.signup`, and the group post's link
  (`/start events-ID`): residents list, sign up, change, cancel (`signup.py`); staff also
  reach each event's management card (`manage.py`).
- `/checkin` (staff): the door list (`checkin.py`).
- The `event-reminder` job: a day and two hours before (`delivery.py`).
"""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from handlers.events import checkin, create, manage, signup
from handlers.events.common import (
    ADMIN_FLOW,
    CHECKIN_FLOW,
    CREATE_FLOW,
    EventAction,
    EventPress,
    SignupPress,
)
from handlers.events.delivery import REMINDER_JOB, on_reminder
from knowledge.intent_ids import Intent

RESIDENT_ACTIONS = {EventAction.SHOW, EventAction.SIGNUP, EventAction.MINE, EventAction.LIST}
DOOR_ACTIONS = {EventAction.CHECKIN, EventAction.ARRIVED}


async def on_event_press(ctx: Context, press: EventPress) -> None:
    if press.action in RESIDENT_ACTIONS:
        await signup.on_event_press(ctx, press)
    elif press.action in DOOR_ACTIONS:
        await checkin.on_checkin_press(ctx, press)
    else:
        await manage.on_manage_press(ctx, press)


async def from_text(ctx: Context) -> None:
    """ "最近有什么活动", "sign me up for the Mid-Autumn party": the upcoming events."""
    await signup.list_events(ctx)


def register(flows: Flows) -> None:
    flows.command("events", signup.list_events, private_only=True)
    flows.command("event", create.start, private_only=True, begins=True, audience=Audience.STAFF)
    flows.command("checkin", checkin.start, private_only=True, audience=Audience.STAFF)
    flows.draft(CREATE_FLOW)
    create.FORM.register(flows)
    flows.press(EventPress, on_event_press)
    flows.press(SignupPress, signup.on_signup_press)
    flows.step(ADMIN_FLOW, manage.EDITING_TIME, manage.editing_time)
    flows.step(ADMIN_FLOW, manage.EDITING_PLACE, manage.editing_place)
    flows.step(ADMIN_FLOW, manage.WRITING_MESSAGE, manage.writing_message)
    flows.step(CHECKIN_FLOW, checkin.CHECKING_IN, checkin.checking_in)
    flows.intent(Intent.EVENTS, from_text)
    flows.job(REMINDER_JOB, on_reminder)
