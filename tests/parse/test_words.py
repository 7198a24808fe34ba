"""The five-language word lists of issue 8: kinds, statuses, empty values, "nothing to do", commitments."""

from __future__ import annotations

import pytest

from config.kinds import KINDS
from config.kinds import document_kind as normalise_kind
from worker.parse import parse_document
from worker.parse.empty import is_empty_value
from worker.parse.nothing import says_nothing_to_do
from worker.parse.status import inline_status, is_done_status, is_dropped_status


@pytest.mark.parametrize(
    ("word", "kind"),
    [
        ("Prevention", "prevent"),
        ("Preventive", "prevent"),
        ("Prevención", "prevent"),
        ("Prevenção", "prevent"),
        ("Vorbeugung", "prevent"),
        ("Prévention", "prevent"),
        ("Detection", "detect"),
        ("Monitoring", "detect"),
        ("Detección", "detect"),
        ("Erkennung", "detect"),
        ("Détection", "detect"),
        ("Mitigation", "mitigate"),
        ("Mitigación", "mitigate"),
        ("Process", "process"),
        ("Processus", "process"),
        ("Corrective action", "repair"),
        ("Fix", "repair"),
        ("Correctif", "repair"),
        ("Investigation", "investigate"),
        ("Untersuchung", "investigate"),
        ("Investigar", "investigate"),
        ("Miscellaneous", None),
        ("", None),
    ],
)
def test_kinds_map_onto_the_fixed_vocabulary(word: str, kind: str | None) -> None:
    assert normalise_kind(word) == kind
    assert kind is None or kind in KINDS


@pytest.mark.parametrize(
    "word",
    ["Done", "Completed", "erledigt", "concluído", "Hecho", "Terminé", "Fait", "✅ Done", "Abgeschlossen"],
)
def test_done_status_words(word: str) -> None:
    assert is_done_status(word)


@pytest.mark.parametrize(
    "word",
    [
        "Won't do",
        "Not doing",
        "Not pursued",
        "not taken forward",
        "Duplicate of OPS-12",
        "Descartado",
        "No se hará",
        "Não será feito",
        "Wird nicht umgesetzt",
        "Verworfen",
        "Abandonné",
        "Non retenu",
    ],
)
def test_dropped_status_words(word: str) -> None:
    assert is_dropped_status(word) and not is_done_status(word)


@pytest.mark.parametrize(
    ("text", "done", "dropped"),
    [
        ("Fix the worker -- DONE", True, False),
        ("Add a gate — · Status: Completed ·", True, False),
        ("Rotate keys (owner: Ana, erledigt)", True, False),
        ("(/) Roll back", True, False),
        ("Split the queue — Not pursued this quarter", False, True),
        ("Add heartbeat metrics — Duplicate of OPS-70", False, True),
        ("Make sure the job is done before noon", False, False),
        ("Remove duplicate alerts from the pager", False, False),
    ],
)
def test_statuses_written_in_the_text(text: str, done: bool, dropped: bool) -> None:
    status = inline_status(text)
    assert (status.done, status.dropped) == (done, dropped)


@pytest.mark.parametrize(
    "value",
    [
        "Unassigned",
        "TBD",
        "—",
        "-",
        "???",
        "pendiente de asignar",
        "à définir",
        "nicht zugewiesen",
        "N/A",
        "",
        "sin asignar",
        "a definir",
        "Offen",
    ],
)
def test_empty_values(value: str) -> None:
    assert is_empty_value(value)


@pytest.mark.parametrize("value", ["Ana Ruiz", "@bob", "2024-05-01", "Platform team"])
def test_real_values_are_not_empty(value: str) -> None:
    assert not is_empty_value(value)


@pytest.mark.parametrize(
    ("text", "nothing"),
    [
        ("No new action items came out of this review.", True),
        ("Action items: none", True),
        ("No follow-up work is needed.", True),
        ("No se identificaron nuevas acciones.", True),
        ("Não há novas ações.", True),
        ("Keine weiteren Maßnahmen.", True),
        ("Aucune action supplémentaire.", True),
        ("Ensure no actions are lost in the queue", False),
        ("Add no-op check to the deploy", False),
    ],
)
def test_nothing_to_do(text: str, nothing: bool) -> None:
    assert says_nothing_to_do(text) is nothing


@pytest.mark.parametrize(
    ("sentence", "title", "done"),
    [
        ("We will add a canary stage.", "Add a canary stage.", False),
        ("Wir werden einen Canary-Schritt einführen.", "Einen Canary-Schritt einführen.", False),
        ("Vamos a añadir una etapa canary.", "Añadir una etapa canary.", False),
        ("Nous allons ajouter une étape canary.", "Ajouter une étape canary.", False),
        ("We are adding a canary stage.", "Adding a canary stage.", False),
        ("We have added a canary stage.", "Added a canary stage.", True),
        ("Hemos añadido una etapa canary.", "Añadido una etapa canary.", True),
        ("Wir haben eine Canary-Stufe eingeführt.", "Eine Canary-Stufe eingeführt.", True),
        ("Nous avons ajouté une étape canary.", "Ajouté une étape canary.", True),
    ],
)
def test_commitment_leads_in_five_languages(sentence: str, title: str, done: bool) -> None:
    pm = parse_document(f"# Outage\n\n## What we are doing to prevent this\n\n{sentence}\n")
    assert [(i.title, i.done) for i in pm.action_items] == [(title, done)]


def test_findings_are_not_done_items() -> None:
    pm = parse_document(
        "# Outage\n\n## Prevention\n\nWe have identified three weak spots. We will add a canary.\n"
    )
    assert [i.title for i in pm.action_items] == ["Add a canary."]


def test_numbered_actions_are_never_merged_as_duplicates() -> None:
    rows = "".join(f"| PM-1 follow-up action number {n} for PM-1 | ann | 2030-01-0{n} |\n" for n in (1, 2, 3))
    pm = parse_document(f"# PM-1\n\n## Action items\n\n| Action | Owner | Due |\n|---|---|---|\n{rows}")
    assert len(pm.action_items) == 3


def test_a_summary_line_and_its_table_row_are_one_item_with_the_rows_fields() -> None:
    doc = (
        "# Outage\n\n## Follow-ups\n\n- Scan bucket policies in CI\n\n"
        "| Action | Owner | Due | Ticket |\n|---|---|---|---|\n"
        "| Scan bucket policies in CI before apply | Omar | 2025-06-20 | SEC-802 |\n"
    )
    [item] = parse_document(doc).action_items
    assert (item.title, item.owner, item.ref) == (
        "Scan bucket policies in CI before apply",
        "Omar",
        "SEC-802",
    )
