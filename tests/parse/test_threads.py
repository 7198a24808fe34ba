"""Parses in several threads at once (a threads worker) read each document as a parse alone does.

markdown-it compiles each rule chain the first time it is used, and fills the compiled table after
publishing it: a second thread starting a parse meanwhile found no rules and read the document as empty
(no title, no items). The bench hit it in a fresh worker's first parses, so each round here starts
from a parser not built yet, as in a new process.

The Markdown front end is imported when the first Markdown document comes. A parse that started while
another thread was still importing it found the module half made and failed (AttributeError); the first
test runs such first parses in a fresh interpreter, where the import really is first.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
from pathlib import Path

from tests.service.harness import postmortem_markdown
from worker.models import Postmortem
from worker.parse import markdown, parse_document

THREADS = 8
ROOT = Path(__file__).resolve().parents[2]

_FIRST_IMPORTS = textwrap.dedent("""
    import sys, threading
    from tests.service.harness import postmortem_markdown
    from worker.parse import parse_document

    documents = [postmortem_markdown(f"PM-{n}", 8).encode() for n in range(8)]
    sys.setswitchinterval(1e-6)
    failures = []

    def parse(start, document):
        start.wait()
        try:
            if not parse_document(document).action_items:
                failures.append("no items")
        except Exception as exc:
            failures.append(repr(exc))

    for _ in range(20):
        sys.modules.pop("worker.parse.markdown", None)  # the next parse imports it again, as in a new process
        start = threading.Barrier(len(documents))
        threads = [threading.Thread(target=parse, args=(start, d)) for d in documents]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
    print(len(failures), failures[:1])
""")


def test_parses_that_start_while_the_markdown_front_end_is_first_imported_all_succeed() -> None:
    ran = subprocess.run([sys.executable, "-c", _FIRST_IMPORTS], cwd=ROOT, capture_output=True, text=True,
                         timeout=120, env={"PYTHONPATH": str(ROOT), "PATH": "/usr/bin:/bin"})
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "0 []"


def test_the_first_parses_of_a_process_in_threads_all_read_the_document() -> None:
    documents = [postmortem_markdown(f"PM-{n}", 8).encode() for n in range(THREADS)]
    expected = [parse_document(document) for document in documents]
    interval = sys.getswitchinterval()
    sys.setswitchinterval(1e-6)  # switch threads as often as the interpreter can: the window is short
    try:
        _parse_at_once(documents, expected)
    finally:
        sys.setswitchinterval(interval)


def _parse_at_once(documents: list[bytes], expected: list[Postmortem]) -> None:
    for _ in range(25):
        markdown._parser.cache_clear()  # as in a fresh process: one parse built the parser, none used it
        markdown._parser()
        start = threading.Barrier(THREADS)
        results: dict[int, Postmortem] = {}
        threads = [threading.Thread(target=_parse, args=(start, documents[n], results, n))
                   for n in range(THREADS)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(30)
        assert [results.get(n) for n in range(THREADS)] == expected


def _parse(start: threading.Barrier, document: bytes, results: dict[int, Postmortem], n: int) -> None:
    start.wait()
    results[n] = parse_document(document)
