"""Where a resident's own words put a fault: in their home or not said.

What the resident sees: "我家卫生间的灯不亮了" or "the light in my bathroom is broken" is filed
at their home without being asked which building; words that name no place leave the
question to the form.
"""

from __future__ import annotations

import re

# Words that place a fault inside the resident's home: the possessive ("我家", "my flat")
# or a room only homes have. Rooms shared by a building (楼道, lobby) are deliberately absent;
# "my" alone is not enough ("my car was scratched in the car park").
HOME = re.compile(
    "|".join(
        (
            "我家|我们家|俺家|咱家|家里|家中|屋里|室内|户内|入户",
            "卫生间|洗手间|浴室|厨房|客厅|饭厅|卧室|主卧|次卧|书房|阳台|衣帽间",
            r"\b(my|our) (home|flat|apartment|unit|place|house|toilet|shower|study)\b",
            r"\b(my|our|the) (bathroom|kitchen|living ?room|lounge|bedroom|balcony)s?\b",
            r"\bat home\b|\bin (my|our) (home|flat|apartment)\b",
        )
    ),
    re.IGNORECASE,
)


def names_home(text: str) -> bool:
    """Whether the words place the fault in the resident's own home."""
    return HOME.search(text) is not None
