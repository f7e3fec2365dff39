"""A value provider with fixed values, so the scoring rules can be checked without a workspace."""

from __future__ import annotations

from dataclasses import dataclass, field

from qunkpi.appraisal.staff_values import ActivityRun, Measured, StaffInfo
from qunkpi.engine.periods import Period


@dataclass
class FakeProvider:
    people: list[StaffInfo]
    # (staff_id, measure, period label) → value (None = not measurable)
    values: dict[tuple[str, str, str], float | None] = field(default_factory=dict)
    # (staff_id, period label) → pooled csat share
    csat_values: dict[tuple[str, str], float | None] = field(default_factory=dict)
    # (staff_id, period label, key) → manual input
    inputs: dict[tuple[str, str, str], float] = field(default_factory=dict)
    runs: dict[tuple[str, str], list[ActivityRun]] = field(default_factory=dict)
    asked: list[tuple[str, str, str]] = field(default_factory=list)

    def staff(self) -> list[StaffInfo]:
        return list(self.people)

    def scope(self, staff: StaffInfo, scope: str) -> list[str]:
        return [f"c-{staff.staff_id}"]

    def measure(self, measure: str, staff: StaffInfo, period: Period, scope: str) -> Measured:
        self.asked.append((staff.staff_id, measure, period.label))
        v = self.values.get((staff.staff_id, measure, period.label))
        return Measured(v, "fake", None if v is not None else "no data")

    def csat(self, staff: StaffInfo, period: Period, scope: str) -> Measured:
        return Measured(self.csat_values.get((staff.staff_id, period.label)))

    def manual(self, staff_id: str, period: str, key: str) -> float | None:
        return self.inputs.get((staff_id, period, key))

    def activities(self, staff: StaffInfo, period: Period, scope: str) -> list[ActivityRun]:
        return self.runs.get((staff.staff_id, period.label), [])
