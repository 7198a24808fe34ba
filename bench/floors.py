"""Side-by-side measurement of a product path and its floor: interleaved rounds, medians and the ratio.

Every benchmark of a path (issue 21) runs the simplest thing that does the same work (its floor) in the
same process and run as the product, alternating round by round so that a busy moment on the shared
machine hurts both alike, and prints the medians and their ratio: absolute figures move by a factor of
two from run to run, the ratio much less.
"""

from __future__ import annotations

import os
import statistics
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

_TICKS = os.sysconf("SC_CLK_TCK")


@dataclass
class Pair:
    """Per-round figures of one path and of its floor, in one unit."""

    name: str
    unit: str
    #: True for rates (items/s: the ratio is product / floor, goal near 1 from below); False for times
    #: (ms, s: the ratio is product / floor, goal near 1 from above).
    higher_is_better: bool
    product: list[float] = field(default_factory=list)
    floor: list[float] = field(default_factory=list)

    def ratio(self) -> float:
        return statistics.median(self.product) / statistics.median(self.floor)

    def line(self) -> str:
        p, f = statistics.median(self.product), statistics.median(self.floor)
        ratio = self.ratio()
        shown = f"{ratio:.2f} of the floor" if self.higher_is_better else f"{ratio:.1f}x the floor"
        rounds = ", ".join(f"{v:.4g}" for v in self.product)
        floors = ", ".join(f"{v:.4g}" for v in self.floor)
        return (f"{self.name}: product median {p:.4g} {self.unit}, floor median {f:.4g} {self.unit}"
                f" -> {shown}  (rounds: product [{rounds}], floor [{floors}])")


def interleave(rounds: int, product: Callable[[int], float], floor: Callable[[int], float],
               pair: Pair) -> Pair:
    """Run `floor` then `product` once per round, `rounds` times (each gets the round number)."""
    for n in range(rounds):
        pair.floor.append(floor(n))
        pair.product.append(product(n))
    return pair


def cpu_seconds(pid: int) -> float:
    """User plus system CPU time a process has used so far (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS
