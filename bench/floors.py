"""Side-by-side measurement of a product path and its floor: interleaved rounds, medians and the ratio.

Every benchmark of a path (issue 21) runs the simplest thing that does the same work (its floor) in the
same process and run as the product, alternating round by round so that a busy moment on the shared
machine hurts both alike, and prints the medians and their ratio: absolute figures move by a factor of
two from run to run, the ratio much less.
"""

from __future__ import annotations

import os
import socket
import statistics
import subprocess
import sys
import time
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


#: `followthrough serve`, run from the checkout on PYTHONPATH whatever is installed.
SERVE = [sys.executable, "-c", "import sys; from worker.cli.main import main; sys.exit(main(sys.argv[1:]))",
         "serve"]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class Served:
    """A server process under test (`followthrough serve` or a floor), listening on a free loopback port."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], folder: Path) -> None:
        self.name, self.port, self.log = name, free_port(), folder / f"{name}.log"
        self.url = f"http://127.0.0.1:{self.port}"
        self.process = subprocess.Popen([*argv, "--port", str(self.port)], cwd=folder, env=env,
                                        stdout=subprocess.DEVNULL, stderr=self.log.open("wb"))
        deadline = time.monotonic() + 60
        while True:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                if time.monotonic() > deadline or self.process.poll() is not None:
                    raise SystemExit(f"{name} did not start; see {self.log}") from None
                time.sleep(0.1)

    def cpu(self) -> float:
        return cpu_seconds(self.process.pid)

    def tracebacks(self) -> int:
        return self.log.read_text(errors="replace").count("Traceback")

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)
