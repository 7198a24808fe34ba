"""The collector is paused only while a document is parsed, and left as the caller had it."""

from __future__ import annotations

import gc
import subprocess
import sys
import textwrap
import threading
from pathlib import Path

import pytest

from worker.parse import ParseError, parse_document

ROOT = Path(__file__).resolve().parents[2]
DOC = b"# T\n\n## Action items\n\n- [ ] Rotate the keys (owner: Ana)\n"


def test_the_collector_is_on_again_after_a_parse_and_after_a_refusal() -> None:
    assert gc.isenabled()
    assert len(parse_document(DOC).action_items) == 1
    assert gc.isenabled()
    with pytest.raises(ParseError):
        parse_document(b"\x00\x01binary")
    assert gc.isenabled()


def test_a_collector_the_caller_switched_off_stays_off() -> None:
    gc.disable()
    try:
        parse_document(DOC)
        assert not gc.isenabled()
    finally:
        gc.enable()


def test_concurrent_parses_switch_it_back_on_once_the_last_ends() -> None:
    errors: list[BaseException] = []

    def run() -> None:
        try:
            for _ in range(20):
                parse_document(DOC)
        except BaseException as exc:  # pragma: no cover - reported below
            errors.append(exc)

    threads = [threading.Thread(target=run) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert gc.isenabled()


_NO_GARBAGE = textwrap.dedent("""
    import gc
    from worker.parse import parse_document

    doc = (b"# T\\n\\n## Action items\\n\\n- [ ] Rotate the keys (owner: Ana)\\n\\n"
           b"| Action | Owner |\\n|---|---|\\n| **Fix** [it](https://x.example/browse/AB-1) | [~bob] |\\n")
    parse_document(doc)
    gc.collect()
    gc.disable()
    items = parse_document(doc, filename="doc.md").action_items
    print(len(items), gc.collect())
""")


def test_a_parse_leaves_no_cyclic_garbage_behind() -> None:
    # Pausing the collector is only free when the parse's objects are freed by reference counting.
    # Counted in a fresh interpreter: in the test process, threads other tests left running (servers,
    # pools) make garbage of their own while the collector is off, and gc.collect() counts theirs too.
    out = subprocess.run([sys.executable, "-c", _NO_GARBAGE], cwd=ROOT, capture_output=True, text=True,
                         timeout=60, check=True).stdout
    assert out.split() == ["2", "0"]  # both items read, no cyclic garbage
