"""Command-line start-up time: `followthrough --help` and `parse` of a small document, above bare Python.

Run: python bench/bench_cli.py [--runs N]
Prints the median and the best of N runs of each command as a fresh process, minus the median of bare
`python -c pass`. Targets (issue 10): `--help` under 0.3 s and `parse small.md` under 0.6 s above bare Python.
The floor (issue 21) is `python -c "import click"`, run interleaved with the commands: `parse small.md`
should take at most 3x as long. Also prints the heaviest top-level modules each command imports
(`-X importtime`).
"""

from __future__ import annotations

import argparse
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
SMALL = b"""# Checkout outage

Date: 2024-03-02
Owner: Ana Lima

## Action items

- [ ] Add an alert on checkout error rate (owner: Ana Lima, due 2024-04-01)
- [ ] Retry payment capture with backoff - Bo Chen
"""


def _time(argv: list[str], env: dict[str, str], cwd: str) -> float:
    start = time.perf_counter()
    proc = subprocess.run(argv, env=env, cwd=cwd, capture_output=True, check=False)
    elapsed = time.perf_counter() - start
    if proc.returncode != 0:
        raise SystemExit(f"{' '.join(argv)} failed ({proc.returncode}): {proc.stderr.decode()[-500:]}")
    return elapsed


def _heaviest(argv: list[str], env: dict[str, str], cwd: str, top: int = 6) -> list[tuple[str, float]]:
    proc = subprocess.run([argv[0], "-X", "importtime", *argv[1:]], env=env, cwd=cwd,
                          capture_output=True, text=True, check=False)
    rows: list[tuple[str, float]] = []
    for line in proc.stderr.splitlines():
        match = re.match(r"import time:\s+\d+ \|\s+(\d+) \|( *)(\S+)", line)
        if match and len(match.group(2)) <= 1:  # top-level imports only
            rows.append((match.group(3), int(match.group(1)) / 1e6))
    return sorted(rows, key=lambda row: -row[1])[:top]


def main() -> None:
    cli = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    cli.add_argument("--runs", type=int, default=7, help="interleaved rounds (at least 3)")
    runs = cli.parse_args().runs
    with tempfile.TemporaryDirectory(prefix="bench-cli-") as tmp:
        doc = Path(tmp) / "small.md"
        doc.write_bytes(SMALL)
        env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "PYTHONPATH": str(REPO),
            "FOLLOWTHROUGH_DATABASE_URL": f"sqlite:///{Path(tmp) / 'ft.db'}",
        }
        py = sys.executable
        commands = {
            "bare python": [py, "-c", "pass"],
            "floor: python -c 'import click'": [py, "-c", "import click"],
            "followthrough --help": [py, "-m", "worker", "--help"],
            "followthrough parse small.md": [py, "-m", "worker", "parse", str(doc)],
            "followthrough parse small.md --format json": [py, "-m", "worker", "parse", str(doc),
                                                           "--format", "json"],
        }
        script = Path(py).parent / "followthrough"  # the console script pip installs beside this Python
        if script.exists():
            commands["console script: followthrough parse small.md"] = [str(script), "parse", str(doc)]
        timings: dict[str, list[float]] = {}
        for _ in range(runs):  # interleaved, so a busy moment hurts every command alike
            for name, argv in commands.items():
                timings.setdefault(name, []).append(_time(argv, env, tmp))
        bare = statistics.median(timings["bare python"])
        print(f"runs: {runs}; bare python median {bare:.3f} s")
        print(f"{'command':45} {'median':>8} {'best':>8} {'above bare (median)':>20}")
        for name, values in timings.items():
            median = statistics.median(values)
            print(f"{name:45} {median:8.3f} {min(values):8.3f} {median - bare:20.3f}")
        floor = statistics.median(timings["floor: python -c 'import click'"])
        parse = statistics.median(timings["followthrough parse small.md"])
        print(f"followthrough parse small.md / floor (import click): {parse:.3f} s / {floor:.3f} s"
              f" = {parse / floor:.1f}x  (goal <= 3x)")
        if "console script: followthrough parse small.md" in timings:
            console = statistics.median(timings["console script: followthrough parse small.md"])
            print(f"console script / floor: {console:.3f} s / {floor:.3f} s = {console / floor:.1f}x")
        for name in ("followthrough --help", "followthrough parse small.md"):
            heavy = ", ".join(f"{module} {seconds:.3f}s" for module, seconds in
                              _heaviest(commands[name], env, tmp))
            print(f"heaviest imports of {name}: {heavy}")


if __name__ == "__main__":
    main()
