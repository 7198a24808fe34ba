"""Parser speed and memory: a 2,000-row action table, 1,000 typical postmortems, memory across many docs.

Run: python bench/bench_parse.py   (prints figures; targets: table < 0.5 s, 1,000 docs < 10 s, flat memory)
"""

from __future__ import annotations

import gc
import sys
import time
import tracemalloc
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from worker.parse import parse_document

FIXTURES = Path(__file__).resolve().parent.parent / "tests" / "fixtures" / "parse"


def big_table(rows: int) -> bytes:
    lines = [
        "# Large incident",
        "",
        "Date: 2024-01-10",
        "",
        "## Action items",
        "",
        "| Action | Owner | Due | Priority | Ticket |",
        "|---|---|---|---|---|",
    ]
    lines += [
        f"| Fix component {i} so that it retries safely | Owner {i % 37} | 2024-0{1 + i % 9}-1{i % 9} "
        f"| P{i % 4} | OPS-{i + 1} |"
        for i in range(rows)
    ]
    return "\n".join(lines).encode()


def typical_documents() -> list[tuple[str, bytes]]:
    return sorted((p.name, p.read_bytes()) for p in FIXTURES.iterdir() if p.is_file())


def main() -> None:
    table = big_table(2000)
    parse_document(table)  # warm-up: imports, regex compilation, caches
    started = time.perf_counter()
    pm = parse_document(table)
    elapsed = time.perf_counter() - started
    print(
        f"2,000-row action table: {elapsed:.3f} s, {len(pm.action_items)} items, "
        f"{len(table) / 1e6 / elapsed:.2f} MB/s  (target < 0.5 s)"
    )

    docs = typical_documents()
    for name, data in docs:
        parse_document(data, filename=name)
    batch = [docs[i % len(docs)] for i in range(1000)]
    total_bytes = sum(len(d) for _, d in batch)
    started = time.perf_counter()
    items = 0
    for name, data in batch:
        items += len(parse_document(data, filename=name).action_items)
    elapsed = time.perf_counter() - started
    print(
        f"1,000 typical postmortems: {elapsed:.2f} s, {1000 / elapsed:.0f} documents/s, "
        f"{total_bytes / 1e6 / elapsed:.2f} MB/s, {items} items  (target < 10 s)"
    )

    gc.collect()
    tracemalloc.start()
    for name, data in batch[:200]:
        parse_document(data, filename=name)
    gc.collect()
    first, _ = tracemalloc.get_traced_memory()
    for _ in range(3):
        for name, data in batch:
            parse_document(data, filename=name)
    gc.collect()
    after, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    print(
        f"memory: {first / 1e6:.2f} MB after 200 docs, {after / 1e6:.2f} MB after 3,200 docs "
        f"(growth {(after - first) / 1e3:.0f} kB, peak {peak / 1e6:.2f} MB)"
    )


if __name__ == "__main__":
    main()
