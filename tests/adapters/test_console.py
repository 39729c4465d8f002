"""The console chat: JSONL in and out (docs/chat-jsonl.md), numbered buttons, personas."""

from __future__ import annotations

import io
import json
import subprocess
import sys
from pathlib import Path

from bot.adapters.console import ConsoleChat, ConsoleTransport, Persona
from bot.engine.engine import Engine
from bot.engine.replies import Button, Edit, Send, keyboard
from storage import demo
from tests.harness import Harness

ROOT = Path(__file__).resolve().parents[2]


async def run_lines(harness: Harness, lines: list[str], *, jsonl: bool) -> list[str]:
    output: list[str] = []
    transport = ConsoleTransport(write=output.append, jsonl=jsonl)
    engine = Engine(harness.services, transport)
    console = ConsoleChat(
        engine,
        harness.services,
        transport,
        persona=Persona(user_id=1001, lang="zh"),
        staff_chats={demo.STAFF_CHAT_ID: "staff"},
    )
    await console.run(io.StringIO("\n".join(lines) + "\n"))
    return output


async def test_jsonl_contract(harness: Harness) -> None:
    assert harness.demo is not None
    lines = [
        json.dumps({"from": 5001, "chat": 5001, "text": "/start", "lang": "en", "name": "Ann"}),
        "this is not json",
        json.dumps({"from": 5001, "text": "/start"}),
    ]
    out = [json.loads(line) for line in await run_lines(harness, lines, jsonl=True)]
    greeting = out[0]
    assert greeting["chat"] == 5001 and greeting["message_id"] == 1
    assert greeting["text"].startswith("Hello Ann")
    assert {"text", "data"} <= set(greeting["buttons"][0][0])
    assert "error" in out[1]
    assert out[2]["message_id"] == 2  # the session went on after the bad line

    press = greeting["buttons"][0][0]["data"]
    code = harness.demo.invite_code
    more = [
        json.dumps({"from": 5001, "press": press}),
        json.dumps({"from": 5001, "text": code}),
    ]
    out = [json.loads(line) for line in await run_lines(harness, more, jsonl=True)]
    assert "invite code" in out[0]["text"]
    assert "Linked!" in out[-1]["text"]


async def test_group_messages_and_photos_in_jsonl(harness: Harness) -> None:
    lines = [
        json.dumps({"from": 1001, "chat": demo.RESIDENT_GROUP_ID, "text": "/help"}),
        json.dumps({"from": 1001, "photo": "/tmp/leak.jpg", "caption": ""}),
        json.dumps({"from": 1001, "text": "hi", "chat_type": "channel"}),
    ]
    out = [json.loads(line) for line in await run_lines(harness, lines, jsonl=True)]
    assert out[0]["chat"] == demo.RESIDENT_GROUP_ID
    assert out[1]["chat"] == 1001 and "照片" in out[1]["text"]
    assert "error" in out[2]


async def test_presses_answered_with_a_note_print_toast_lines(harness: Harness) -> None:
    staff, take = demo.STAFF_CHAT_ID, "cs:1:t"  # "take" on the first case's card
    lines = [
        json.dumps({"from": 1001, "text": "电梯里有人被困了"}),
        json.dumps({"from": 2001, "chat": staff, "press": take}),  # a technician takes it
        json.dumps({"from": 1001, "chat": staff, "press": take}),  # a resident may not
        json.dumps({"from": 1002, "press": "m:nothing"}),  # no button of ours
    ]
    out = [json.loads(line) for line in await run_lines(harness, lines, jsonl=True)]
    card = next(line for line in out if line["chat"] == staff)
    assert card["buttons"][0][0]["data"] == take
    toasts = [line for line in out if "toast" in line]
    assert [(t["chat"], t["alert"]) for t in toasts] == [
        (staff, False),
        (staff, True),
        (1002, True),
    ]
    assert toasts[0]["toast"].startswith("已接单 E-")
    assert set(toasts[0]) == {"chat", "toast", "alert"}
    taken = out.index(toasts[0])
    # The press is answered first (Telegram shows a spinner until then), then the card is
    # edited and the resident hears the news.
    assert out[taken + 1]["chat"] == staff and out[taken + 1]["edit"] == card["message_id"]
    assert out[taken + 2]["chat"] == 1001 and "E-" in out[taken + 2]["text"]


async def test_interactive_numbered_buttons_and_personas(harness: Harness) -> None:
    out = await run_lines(
        harness, ["/menu", "1", "42", "/as 5001 en", "/start", "/quit"], jsonl=False
    )
    text = "\n".join(out)
    assert "[1]" in text  # buttons are numbered
    assert "请直接输入您的问题" in text  # pressing 1 opened "ask a question"
    assert "(no such button here)" in text
    assert "now playing user 5001" in text
    assert "Hello" in text


def test_courtyard_demo_seed_only_then_jsonl_chat(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}", "PATH": "/usr/bin:/bin"}
    seeded = subprocess.run(
        [sys.executable, "-m", "bot", "demo", "--seed-only"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert seeded.returncode == 0, seeded.stderr
    chat = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl"],
        cwd=ROOT,
        env=env,
        input=json.dumps({"from": 1002, "text": "/help"}) + "\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert chat.returncode == 0, chat.stderr
    reply = json.loads(chat.stdout.strip().splitlines()[-1])
    assert reply["chat"] == 1002 and "property assistant" in reply["text"]


def test_chat_refuses_a_database_without_schema(tmp_path: Path) -> None:
    env = {"DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'empty.db'}", "PATH": "/usr/bin:/bin"}
    result = subprocess.run(
        [sys.executable, "-m", "bot", "chat", "--jsonl"],
        cwd=ROOT,
        env=env,
        input="",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2
    assert "courtyard db upgrade" in result.stderr
    assert "Traceback" not in result.stderr


BAD_LINES = [
    '{"from": Infinity, "text": "hi"}',
    '{"from": NaN, "text": "hi"}',
    '{"from": 5001, "chat": -Infinity, "text": "hi"}',
    '{"from": 1e400, "text": "hi"}',
    '{"from": 5001.5, "text": "hi"}',
    '{"from": "5001", "text": "hi"}',
    '{"from": true, "text": "hi"}',
    '{"from": 99999999999999999999999, "text": "hi"}',
    '{"from": 5001, "chat": "staff", "text": "hi"}',
    '{"from": 5001, "chat": [1], "text": "hi"}',
    '{"from": 5001, "text": 5}',
    '{"from": 5001, "text": ["hi"]}',
    '{"from": 5001, "text": "hi", "lang": 5}',
    '{"from": 5001, "text": "hi", "lang": {"code": "en"}}',
    '{"from": 5001, "text": "hi", "name": 7}',
    '{"from": 5001, "press": 12}',
    '{"from": 5001, "photo": null}',
    '{"from": 5001, "text": "hi", "chat_type": "channel"}',
    '{"from": 5001, "txt": "hi"}',
    '{"from": 5001}',
    '{"text": "hi"}',
    "[1, 2]",
    '"just a string"',
    "this is not json",
]


async def test_every_bad_jsonl_line_gets_an_error_and_the_session_goes_on(
    harness: Harness,
) -> None:
    good = json.dumps({"from": 5001, "text": "/start", "lang": "en"})
    lines = [*BAD_LINES, good]
    out = [json.loads(line) for line in await run_lines(harness, lines, jsonl=True)]
    errors = out[: len(BAD_LINES)]
    assert [set(item) for item in errors] == [{"error"}] * len(BAD_LINES), out
    assert all(isinstance(e["error"], str) and e["error"] for e in errors)
    assert out[len(BAD_LINES)]["text"].startswith("Hello")


async def test_the_persona_keeps_its_name_after_switching(harness: Harness) -> None:
    output = await run_lines(harness, ["/as 1002", "/as 3001 zh"], jsonl=False)
    assert any("David Chen" in line for line in output)
    assert output[-1].startswith("── you are 张经理 in private")


def test_the_demo_keeps_info_logs_out_of_the_chat(tmp_path: Path) -> None:
    env = {
        "PATH": "/usr/bin:/bin",
        "HOME": str(tmp_path),
        "DATABASE_URL": f"sqlite+aiosqlite:///{tmp_path / 'demo.db'}",
    }
    demo_run = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT)},
        input="物业费怎么交\n/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert demo_run.returncode == 0, demo_run.stderr
    assert " INFO " not in demo_run.stdout + demo_run.stderr
    # Asked for, they are there.
    asked = subprocess.run(
        [sys.executable, "-m", "bot", "demo"],
        cwd=tmp_path,
        env={**env, "PYTHONPATH": str(ROOT), "LOG_LEVEL": "INFO"},
        input="/quit\n",
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert " INFO " in asked.stderr


async def test_a_card_posted_while_playing_someone_else_can_be_pressed(harness: Harness) -> None:
    lines = ["电梯里有人被困了", "/as 2001", "/in staff", "1", "/in private", "/quit"]
    out = await run_lines(harness, lines, jsonl=False)
    inside = f"── you are 李师傅 in {demo.STAFF_CHAT_ID} ──"
    entered = out.index(inside)
    # Entering the staff chat shows the card the resident's message posted there, numbered.
    shown = "\n".join(out[out.index("   now playing 李师傅 (2001)") : entered])
    assert "E-" in shown and "[1] 🙋 接单" in shown
    assert "已接单" in out[entered + 1]  # "1" pressed that card's first button
    # Back in a private chat with no buttons: nothing is shown again.
    assert out[-2:] == [inside, "── you are 李师傅 in private ──"]


async def test_numbers_press_the_newest_message_that_still_has_buttons() -> None:
    transport = ConsoleTransport(write=lambda line: None)
    first = keyboard([Button("a", data="x:1")])
    await transport.send(Send(chat_id=7, text="one", buttons=first))
    delivered = await transport.send(
        Send(chat_id=7, text="two", buttons=keyboard([Button("b", data="x:2")]))
    )
    assert transport.button_data(7, 1) == ("x:2", 2)
    assert delivered.message_id is not None
    await transport.edit(Edit(text="two, done"), chat_id=7, message_id=delivered.message_id)
    assert transport.button_data(7, 1) == ("x:1", 1)  # the edit took the buttons away
