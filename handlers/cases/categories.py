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
}

# Faults that are never merely "normal": a gas fault is urgent at least.
MINIMUM_URGENCY = {"gas": Urgency.URGENT}

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
    "lighting": ("路灯", "楼道灯", "灯不亮", "灯坏", "照明", "light", "lamp", "bulb"),
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


def guess_repair_category(text: str) -> str | None:
    """The category a description most likely belongs to, or None when nothing points."""
    lowered = text.lower()
    best, best_hits = None, 0
    for category, words in REPAIR_HINTS.items():
        hits = sum(1 for word in words if word in lowered)
        if hits > best_hits:
            best, best_hits = category, hits
    return best
