"""Markdown tables of benchmark runs, pasteable into docs/dispatch.md."""

from __future__ import annotations

from dataclasses import dataclass

from dispatch.bench.instances import BestKnown


@dataclass(frozen=True)
class Cell:
    distance: float
    gap: float | None
    vehicles: int
    wall_time: float
    feasible: bool
    first_feasible: float | None = None

    def short(self) -> str:
        gap = f"{self.gap:+.2f}%" if self.gap is not None else "n/a"
        return f"{self.distance:.1f} ({gap}, {self.wall_time:.1f}s{'' if self.feasible else ', INFEASIBLE'})"


def mean(values: list[float | None]) -> str:
    known = [v for v in values if v is not None]
    return f"{sum(known) / len(known):.2f}%" if known else "n/a"


def _fmt_gap(gap: float | None) -> str:
    return "n/a" if gap is None else f"{gap:.2f}"


def format_table(rows, solvers: list[str], first_feasible: bool = False) -> str:
    """One line per instance; per solver: distance, gap %, vehicles, wall s, feasible."""
    header = ["instance", "n", "BKS"]
    for solver in solvers:
        header += [f"{solver} dist", f"{solver} gap%", f"{solver} veh", f"{solver} s", f"{solver} ok"]
        if first_feasible and solver == "ours":
            header.append("ours 1st feasible s")
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    for name, size, bks, cells in rows:
        line = [name, str(size), _fmt_bks(bks)]
        for solver in solvers:
            cell = cells.get(solver)
            if cell is None:
                line += ["-"] * 5
                continue
            line += [
                f"{cell.distance:.1f}",
                _fmt_gap(cell.gap),
                str(cell.vehicles),
                f"{cell.wall_time:.1f}",
                "yes" if cell.feasible else "NO",
            ]
            if first_feasible and solver == "ours":
                line.append("n/a" if cell.first_feasible is None else f"{cell.first_feasible:.2f}")
        lines.append("| " + " | ".join(line) + " |")
    lines.append("")
    for solver in solvers:
        for label, keep in (
            ("all", lambda s: True),
            ("n<=100", lambda s: s <= 100),
            ("n=200", lambda s: s == 200),
        ):
            picked = [cells[solver] for _, size, _, cells in rows if solver in cells and keep(size)]
            if not picked:
                continue
            feasible = sum(c.feasible for c in picked)
            lines.append(
                f"- {solver} [{label}]: mean gap {mean([c.gap for c in picked])}, "
                f"feasible {feasible}/{len(picked)}, mean wall {sum(c.wall_time for c in picked) / len(picked):.1f} s"
            )
    return "\n".join(lines)


def _fmt_bks(bks: BestKnown | None) -> str:
    return "n/a" if bks is None else f"{bks.distance:.1f}"
