"""Notices: managers tell residents about outages, maintenance, safety, community life and
fees, now, at a time or on a recurrence (handlers/notices/compose.py); residents read the
current ones and mute what they may (board.py); outage notices answer questions and repair
reports about water and power (outages.py). Each time a notice goes out is a broadcast on
the mass-delivery foundation (sending.py); its next time is a scheduled job.
"""

from __future__ import annotations

from bot.engine.jobs import JobContext
from bot.engine.registry import Audience, Flows
from handlers.notices import board, compose
from handlers.notices.outages import answer_outage_question
from handlers.notices.sending import JOB, fire
from storage.models import Compound
from storage.repos.notices import load_notice


async def on_job(job: JobContext) -> None:
    """A notice's time came (perhaps late, after a restart): it goes out if still relevant,
    and its next time is scheduled."""
    notice = await load_notice(job.session, int(job.job.subject), lock=True)
    if notice is None:
        return
    compound = await job.session.get(Compound, notice.compound_id)
    assert compound is not None
    fired = await fire(
        job.session,
        notice,
        compound,
        job.job.due_at,
        job.now,
        default_locale=job.services.settings.default_locale,
    )
    if fired.following is not None:
        await job.schedule(JOB, str(notice.id), fired.following)


def register(flows: Flows) -> None:
    flows.command(
        "notice", compose.start, private_only=True, begins=True, audience=Audience.MANAGERS
    )
    flows.command("notices", board.list_notices)
    flows.command("settings", board.show_settings, private_only=True)
    flows.draft(compose.FLOW)
    compose.register(flows)
    flows.press(board.NoticeCancelPress, board.on_cancel)
    flows.press(board.MutePress, board.on_mute)
    flows.claim(answer_outage_question)
    flows.job(JOB, on_job)
