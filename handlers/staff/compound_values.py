"""`/setting KEY VALUE`: a manager sets one of their compound's values in a private chat: a
knowledge-base value residents read in answers (fee rates, renovation hours, payment
channels..., `fee_rate.en` for the English text only) or the office hours deadlines count.
`/setting` alone lists the keys and which are still unset. A manager of several compounds
names it first: `/setting maple fee_rate ...`."""

from __future__ import annotations

from bot.engine.context import Context
from bot.engine.registry import Audience, Flows
from handlers.staff.team import managed_compound
from storage.compound_settings import SettingRefused, apply, check, known_keys, missing
from storage.repos import audit
from storage.repos.compounds import compound_by_code


async def set_value(ctx: Context) -> None:
    """Checks the key and value against the one list the importer uses, stores it, and
    confirms; an unknown key is answered with the known ones."""
    words = ctx.event.args.split(maxsplit=1)
    code = None
    first = words[0] if words else ""
    if first.partition(".")[0] not in known_keys() and await compound_by_code(ctx.session, first):
        # "/setting maple fee_rate 2.80": a manager of several compounds names it first.
        code = first
        words = words[1].split(maxsplit=1) if len(words) > 1 else []
    compound = await managed_compound(ctx, code)
    if compound is None:
        return
    if len(words) < 2:
        unset = [name for name, _ in missing(compound)]
        ctx.say(
            "staff-setting-usage",
            keys=", ".join(known_keys()),
            unset=", ".join(unset) or "—",
        )
        return
    key, value = words
    try:
        setting = check(key, value)
    except SettingRefused as refused:
        ctx.say("staff-setting-refused", reason=str(refused))
        return
    changed = apply(compound, setting)
    if changed:
        audit.record(
            ctx.session,
            action="compound.setting",
            actor_id=ctx.person.id,
            compound_id=compound.id,
            target=f"setting:{key}"[:64],
        )
    ctx.say(
        "staff-setting-saved" if changed else "staff-setting-unchanged",
        name=key,
        value=value.strip(),
        compound=compound.name,
    )


def register(flows: Flows) -> None:
    flows.command("setting", set_value, private_only=True, audience=Audience.MANAGERS)
