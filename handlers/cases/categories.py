"""Case categories, the staff skill each calls for, and the default urgency."""

from __future__ import annotations

from storage.models import Urgency

REPAIR_CATEGORIES = (
    "plumbing",
    "electrical",
    "lift",
    "doors",
    "leaks",
    "gas",
    "lighting",
    "cleaning",
    "greening",
    "other",
)
COMPLAINT_CATEGORIES = (
    "noise",
    "parking",
    "pets",
    "hygiene",
    "corridor",
    "renovation",
    "staff_conduct",
    "security",
    "other",
)
# Complaints between neighbours that the office may mediate.
MEDIATION_CATEGORIES = frozenset({"noise", "pets", "corridor", "renovation", "other"})

SKILL_FOR = {
    "plumbing": "plumbing",
    "leaks": "plumbing",
    "gas": "plumbing",
    "electrical": "electrical",
    "lighting": "electrical",
    "lift": "lifts",
    "doors": "doors",
    "cleaning": "cleaning",
    "hygiene": "cleaning",
    "greening": "greening",
    "security": "security",
    "parking": "security",
    # An inquiry about a bill ("I paid but it still shows unpaid").
    "billing": "billing",
}

# Faults that are never merely "normal": a gas fault is urgent at least.
MINIMUM_URGENCY = {"gas": Urgency.URGENT}
# Hazards a description may name (the router's emergency kinds, knowledge/intents/
# emergency.yaml) and the least urgency each calls for: a person trapped is always an
# emergency, however the resident rated it and whichever way the report arrived.
HAZARD_URGENCY = {"trapped": Urgency.EMERGENCY}
URGENCY_ORDER = (Urgency.NORMAL, Urgency.URGENT, Urgency.EMERGENCY)
# Faults that are never inside a home: a home fault is not guessed as one of these.
COMMON_AREA_ONLY = frozenset({"lift", "lighting", "greening", "cleaning"})
# What a common-area category becomes when the fault is in a home: a light at home is wiring.
AT_HOME = {"lighting": "electrical"}

# Words that point at a category when a resident describes a fault in free text.
REPAIR_HINTS: dict[str, tuple[str, ...]] = {
    "plumbing": (
        "水管",
        "漏水",
        "堵",
        "马桶",
        "下水",
        "水龙头",
        "地漏",
        "水压",
        "没水",
        "pipe",
        "leak",
        "toilet",
        "drain",
        "tap",
        "faucet",
        "clog",
        "blocked",
        "water",
    ),
    "electrical": (
        "电",
        "跳闸",
        "插座",
        "开关",
        "短路",
        "socket",
        "power",
        "switch",
        "breaker",
        "electric",
        "outlet",
        "fuse",
    ),
    "lift": ("电梯", "电悌", "lift", "elevator"),
    "doors": ("门禁", "单元门", "门锁", "门坏", "对讲", "gate", "door", "intercom", "lock"),
    "leaks": (
        "渗水",
        "墙面",
        "屋顶",
        "天花板",
        "外墙",
        "发霉",
        "roof",
        "ceiling",
        "damp",
        "seep",
        "wall",
    ),
    "gas": ("燃气", "煤气", "天然气", "gas"),
    # "灯" alone: any lamp that fails ("吸顶灯突然不亮"); at home it becomes electrical.
    "lighting": ("灯", "路灯", "楼道灯", "灯不亮", "灯坏", "照明", "light", "lamp", "bulb"),
    "cleaning": (
        "垃圾",
        "清洁",
        "保洁",
        "脏",
        "呕吐",
        "clean",
        "trash",
        "rubbish",
        "dirty",
        "garbage",
        "litter",
    ),
    "greening": ("树", "草坪", "绿化", "树枝", "tree", "grass", "lawn", "branch", "garden"),
}


# Words that point at a complaint's kind, as REPAIR_HINTS do for faults.
COMPLAINT_HINTS: dict[str, tuple[str, ...]] = {
    "noise": (
        "噪音",
        "噪声",
        "吵",
        "太响",
        "电钻",
        "砸墙",
        "半夜",
        "音响",
        "广场舞",
        "noise",
        "noisy",
        "loud",
        "drilling",
        "music",
        "party",
    ),
    "parking": ("停车", "车位", "占道", "挡路", "堵车库", "parking", "parked", "car park"),
    "pets": ("狗", "猫", "宠物", "狗屎", "狗粪", "遛狗", "dog", "cat", "pet", "poop", "barking"),
    "hygiene": ("垃圾", "臭", "脏", "老鼠", "蟑螂", "rubbish", "trash", "smell", "dirty", "rats"),
    "corridor": ("楼道堆", "堆放", "杂物", "堆满", "clutter", "corridor", "hallway", "stairwell"),
    "renovation": ("装修", "施工", "renovation", "builders"),
    "staff_conduct": ("保安态度", "态度", "服务态度", "rude", "attitude"),
    "security": ("陌生人", "门没关", "监控", "偷", "stranger", "theft", "stolen", "unlocked"),
}


def guess(hints: dict[str, tuple[str, ...]], text: str) -> str | None:
    """The category whose words the text uses most, or None when nothing points; on a tie,
    the first listed."""
    lowered = text.lower()
    best, best_hits = None, 0
    for category, words in hints.items():
        hits = sum(1 for word in words if word in lowered)
        if hits > best_hits:
            best, best_hits = category, hits
    return best


def guess_repair_category(text: str, *, at_home: bool = False) -> str | None:
    """The category a description most likely belongs to, or None when nothing points. A
    fault placed in the home is never guessed as a common area's (a light is wiring there)."""
    found = guess(REPAIR_HINTS, text)
    if at_home and found in COMMON_AREA_ONLY:
        return AT_HOME.get(found)
    return found


def guess_complaint_category(text: str) -> str | None:
    """The kind of complaint a description most likely is, or None when nothing points."""
    return guess(COMPLAINT_HINTS, text)


def minimum_urgency(category: str | None, hazards: tuple[str, ...] = ()) -> Urgency:
    """The least urgency a report may have: its category's floor and the hazards it names."""
    floors = [MINIMUM_URGENCY.get(category or ""), *(HAZARD_URGENCY.get(h) for h in hazards)]
    return max((f for f in floors if f), key=URGENCY_ORDER.index, default=Urgency.NORMAL)


def at_least(urgency: Urgency, floor: Urgency) -> Urgency:
    """`urgency`, raised to `floor` when it is below it."""
    return max(urgency, floor, key=URGENCY_ORDER.index)
