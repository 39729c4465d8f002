"""`courtyard import units`: compound, building, unit label; optional floor and area."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sqlalchemy import select

from storage.importer.base import ImportContext, Importer, Outcome, assign
from storage.importer.cells import Cells
from storage.importer.table import Row
from storage.models import Building, Compound, Unit
from storage.repos.compounds import normalize_unit_label

# The example a resident is shown when asked for their unit follows the compound's format;
# the importer sets it from the shape of the labels the office actually uses.
LABEL_FORMATS = {1: "{room}", 2: "{building}-{room}", 3: "{building}-{entrance}-{room}"}


@dataclass(frozen=True, slots=True)
class UnitRow:
    compound: Compound
    building: str
    label: str
    floor: int | None
    area_m2: float | None

    @property
    def key(self) -> Hashable:
        return (self.compound.id, self.label)


class UnitImporter(Importer[UnitRow]):
    """Creates units or updates them by compound and label, creating buildings as needed.
    A label with parts must start with its building: building 3 holds 3-2-1502."""

    kind = "units"
    required = ("compound", "building", "unit")
    optional = ("floor", "area_m2")
    noun = "unit"

    def __init__(self, ctx: ImportContext) -> None:
        super().__init__(ctx)
        self.units: dict[tuple[int, str], Unit] = {}
        self.buildings: dict[tuple[int, str], Building] = {}
        self.buildings_created = 0
        self.touched: dict[int, Compound] = {}

    async def prepare(self, rows: Sequence[Row]) -> None:
        await super().prepare(rows)
        ids = [compound.id for compound in self.compounds.values()]
        session = self.ctx.session
        units = await session.scalars(select(Unit).where(Unit.compound_id.in_(ids)))
        self.units = {(unit.compound_id, unit.label): unit for unit in units}
        buildings = await session.scalars(select(Building).where(Building.compound_id.in_(ids)))
        self.buildings = {(b.compound_id, b.name): b for b in buildings}

    def parse(self, cells: Cells) -> UnitRow | None:
        compound = self.compound(cells)
        building = normalize_unit_label(cells.required("building", max_length=32))
        label = cells.unit_label("unit")
        first = label.split("-")[0]
        if building and "-" in label and first != building:
            cells.fail(f"unit {label} is not in building {building} (its label starts {first}-)")
        floor = cells.whole_number("floor", minimum=-20, maximum=300)
        area = cells.positive_number("area_m2")
        if cells.reasons or compound is None:
            return None
        return UnitRow(compound=compound, building=building, label=label, floor=floor, area_m2=area)

    async def apply(self, item: UnitRow) -> tuple[Outcome, int]:
        compound_id = item.compound.id
        self.touched[compound_id] = item.compound
        building = await self._building(compound_id, item.building)
        unit = self.units.get((compound_id, item.label))
        if unit is None:
            unit = Unit(
                compound_id=compound_id,
                building_id=building.id,
                label=item.label,
                floor=item.floor,
                area_m2=item.area_m2,
            )
            self.ctx.session.add(unit)
            self.units[(compound_id, item.label)] = unit
            return Outcome.CREATED, compound_id
        changed = assign(
            unit,
            building_id=building.id,
            floor=unit.floor if item.floor is None else item.floor,
            area_m2=unit.area_m2 if item.area_m2 is None else item.area_m2,
        )
        return (Outcome.UPDATED if changed else Outcome.UNCHANGED), compound_id

    async def finish(self) -> list[str]:
        notes = [f"buildings created: {self.buildings_created}"] if self.buildings_created else []
        for compound in self.touched.values():
            shapes = {label.count("-") + 1 for cid, label in self.units if cid == compound.id}
            label_format = LABEL_FORMATS.get(shapes.pop()) if len(shapes) == 1 else None
            if label_format and compound.unit_label_format != label_format:
                compound.unit_label_format = label_format
                notes.append(f"unit label format of {compound.code}: {label_format}")
        return notes

    async def _building(self, compound_id: int, name: str) -> Building:
        building = self.buildings.get((compound_id, name))
        if building is None:
            building = Building(compound_id=compound_id, name=name)
            self.ctx.session.add(building)
            await self.ctx.session.flush()  # the unit needs the building's id
            self.buildings[(compound_id, name)] = building
            self.buildings_created += 1
        return building
