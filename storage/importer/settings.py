"""`courtyard import settings`: compound, key, value; optional locale. The values the
knowledge base fills in (fee rates, renovation hours, payment channels...) and the office
hours deadlines count; unknown keys are refused with the list of known ones."""

from __future__ import annotations

from collections.abc import Hashable
from dataclasses import dataclass

from storage.compound_settings import VALUE_MAX, Setting, SettingRefused, apply, check
from storage.importer.base import Importer, Outcome
from storage.importer.cells import Cells
from storage.models import Compound


@dataclass(frozen=True, slots=True)
class SettingRow:
    compound: Compound
    setting: Setting

    @property
    def key(self) -> Hashable:
        return (self.compound.id, self.setting.name, self.setting.locale)


class SettingImporter(Importer[SettingRow]):
    """Sets values on imported compounds by compound and key (and language)."""

    kind = "settings"
    required = ("compound", "key", "value")
    optional = ("locale",)
    noun = "key of the same compound"

    def parse(self, cells: Cells) -> SettingRow | None:
        compound = self.compound(cells)
        key = cells.required("key", max_length=64)
        value = cells.required("value", max_length=VALUE_MAX)
        locale = cells.optional("locale", max_length=8)
        setting = None
        if key and value:
            try:
                setting = check(key, value, locale.lower() if locale else None)
            except SettingRefused as refused:
                cells.fail(str(refused))
        if cells.reasons or compound is None or setting is None:
            return None
        return SettingRow(compound, setting)

    async def apply(self, item: SettingRow) -> tuple[Outcome, int]:
        settings = item.compound.settings or {}
        name = item.setting.name
        had = any(
            name in part
            for part in (settings, settings.get("kb") or {}, settings.get("fees") or {})
        )
        if not apply(item.compound, item.setting):
            return Outcome.UNCHANGED, item.compound.id
        return (Outcome.UPDATED if had else Outcome.CREATED), item.compound.id
