"""A corpus of 47 postmortems in the layouts teams publish, in five languages, with every expected item.

Each document lists all its action items (nothing more may be found): a title substring and the owner,
due date, priority, kind and done flag. The documents are written for this project (see
tests/fixtures/parse/corpus/README.md for the layout each one stands for).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import pytest

from config.kinds import KINDS
from worker.models import Postmortem
from worker.parse import parse_document

CORPUS = Path(__file__).resolve().parent.parent / "fixtures" / "parse" / "corpus"
ANY = object()  # a field the document leaves open to interpretation: not checked


@dataclass(frozen=True)
class Want:
    title: str  # a substring of the title
    owner: object = None
    due: object = None
    priority: object = None
    kind: object = None
    done: bool = False


@dataclass(frozen=True)
class Doc:
    items: list[Want]
    owner: object = ANY
    team: object = ANY
    incident_date: object = ANY
    title: object = ANY  # a substring of the title
    extra: dict[str, object] = field(default_factory=dict)


D = date
EXPECTED: dict[str, Doc] = {
    "en_google_sre.md": Doc(
        [
            Want("Make the indexer accept unknown", "marta.k", kind="prevent", done=True),
            Want("Script the schema rollback", "devon", kind="mitigate"),
            Want("Add a canary index", "priya", kind="detect"),
            Want("Hold a schema review", "marta.k", kind="process"),
        ],
        incident_date=D(2025, 6, 3),
        title="Search index stalled",
    ),
    "en_confluence_export.html": Doc(
        [
            Want("Move webhook retries to a dedicated queue", "Hannah Cole", D(2025, 3, 14)),
            Want("Alert when the retry queue is above 80%", "Luis Ortega", D(2025, 2, 28), done=True),
            Want("Cap retry attempts per merchant", None, None),
            Want("Document how to drain the retry queue", "Luis Ortega", D(2025, 3, 7)),
            Want("Replay the dropped webhooks", "Hannah Cole", D(2025, 2, 19), done=True),
        ],
        owner="Hannah Cole",
        team="Payments Platform",
        incident_date=D(2025, 2, 18),
        title="Payment webhook retries exhausted",
    ),
    "en_notion_export.html": Doc(
        [
            Want("Automate certificate renewal with ACME", "Noor Haddad", D(2025, 1, 20), done=True),
            Want("Alert 21 days before any certificate expires", "Tom Becker", D(2025, 2, 3)),
            Want("Keep an inventory of every certificate", None, None),
        ],
        owner="Noor Haddad",
        team="Edge",
        incident_date=D(2025, 1, 9),
    ),
    "en_pagerduty.md": Doc(
        [
            Want("Require two reviewers for changes to the session store config", "@rgomez", D(2025, 5, 6)),
            Want("Add a synthetic login check", "@kwame", D(2025, 5, 2)),
            Want("Raise the session store connection limit", "@rgomez", done=True),
        ],
        owner="Rita Gomez",
        team="Identity",
        incident_date=D(2025, 4, 22),
    ),
    "en_gitlab_blog.md": Doc(
        [
            Want("aused online garbage collection", done=True),
            Want("estored the 214 deleted blobs", done=True),
            Want("dding a reference check"),
            Want("Run garbage collection in dry-run mode"),
            Want("Publish a runbook for restoring registry blobs"),
        ],
        incident_date=D(2025, 3, 11),
    ),
    "en_github_status.md": Doc(
        [
            Want("descriptor limits on every load balancer host"),
            Want("health check"),
            Want("Move SSH traffic to a separate pool"),
        ],
    ),
    "en_email.txt": Doc(
        [
            Want("Stream the export instead of loading every invoice", "Jonas Weber", D(2025, 4, 18)),
            Want("Alert when the export has not finished by 06:00", "Mia Lopez", D(2025, 4, 11)),
            Want("Re-run the failed export for April 7", "Jonas Weber", D(2025, 4, 8), done=True),
        ],
        team="Billing",
        incident_date=D(2025, 4, 7),
        title="billing export job failed overnight",
    ),
    "en_jira_wiki.wiki": Doc(
        [
            Want("Increase the partition count", "712020:aa11bb22-cc33", D(2025, 5, 30), done=True),
            Want("Alert on consumer lag above 5 minutes", "712020:dd44ee55-ff66", D(2025, 5, 20)),
            Want("Document the manual rebalance procedure", None, None),
        ],
        owner="712020:aa11bb22-cc33",
        team="Fulfilment",
        incident_date=D(2025, 5, 12),
    ),
    "en_markdown_mentions.md": Doc(
        [
            Want("Read flags from the primary store", "sam.ito", D(2025, 2, 14)),
            Want("Add a test that flushes the cache", "lena.park", D(2025, 2, 21)),
            Want("Purge the stale flag values", done=True),
        ],
        owner="sam.ito",
        team="Growth",
        title="stale feature flags",
    ),
    "en_nested_checkboxes.md": Doc(
        [
            Want("Page on-call when the resolver error rate", "@amir", D(2025, 7, 16), kind="detect"),
            Want("Add resolver latency to the region dashboard", kind="detect", done=True),
            Want("Run two resolver instances per node", "@lucia", D(2025, 8, 1), kind="prevent"),
            Want("Pin the resolver image version", "@amir", kind="prevent"),
            Want("Write a runbook for switching nodes", kind="mitigate"),
        ],
        owner="Amir Sadeghi",
        extra={"Run two resolver instances per node": "Context: today a single resolver restart"},
    ),
    "en_nothing.md": Doc([], owner="Kai Müller"),
    "en_nothing_inline.txt": Doc([], owner="Grace Liu"),
    "en_duplicates.md": Doc(
        [
            Want("Block public access at the account level", "Ines Duarte", D(2025, 6, 5), "P1"),
            Want("Scan bucket policies in CI", "Omar Farouk", D(2025, 6, 20), "P2"),
            Want(
                "Rotate the credentials stored in the exposed artefacts", "Ines Duarte", D(2025, 5, 30), "P0"
            ),
        ],
        team="Security",
    ),
    "en_statuses.md": Doc(
        [
            Want("Restart stuck workers automatically when the heartbeat stops", done=True),
            Want("Add a deploy gate that waits for workers to drain", done=True),
            Want("Roll back the faulty release", done=True),
            Want("Review the worker timeout settings", "Petra Novak", D(2025, 9, 1)),
        ],
    ),
    "en_front_matter.md": Doc(
        [
            Want("Set SameSite=None on the session cookie", None, D(2025, 9, 12), "High"),
            Want("Add cookie attributes to the release checklist", "@felix", None, "Medium"),
            Want("Add a mobile Safari login journey", None, D(2025, 9, 30), "High"),
        ],
        owner="@dana",
        team="mobile-web",
        incident_date=D(2025, 9, 4),
        title="Session cookies dropped",
    ),
    "en_atlassian_template.md": Doc(
        [
            Want("Pre-warm the buffer cache on replicas", "Chloe Martin", D(2025, 10, 20)),
            Want("Add failover latency to the weekly capacity review", "Ben Adeyemi", D(2025, 10, 9)),
            Want("Run a failover game day every quarter", "Chloe Martin", D(2025, 12, 15)),
        ],
        owner="Chloe Martin",
        team="Checkout",
    ),
    "en_dri_plain.md": Doc(
        [
            Want("Add disk usage alerts to the resize workers", "@yusuf", D(2025, 11, 10)),
            Want("Clean up temporary files after each resize job", "@mei", D(2025, 11, 14)),
            Want("Move the resize scratch space to an ephemeral volume", "@yusuf", D(2025, 12, 1)),
        ],
        owner="@yusuf",
        team="Media",
    ),
    "es_confluence_export.html": Doc(
        [
            Want("Automatizar la renovación de certificados", "Lucía Fernández", D(2025, 4, 30)),
            Want("Añadir una alerta cuando baje la tasa", "Pablo Ruiz", D(2025, 4, 4), done=True),
            Want("Revisar la cadena de certificados", None, None),
        ],
        owner="Lucía Fernández",
        team="Pagos",
        incident_date=D(2025, 3, 14),
    ),
    "es_blog.md": Doc(
        [
            Want("estaurado el número de réplicas", done=True),
            Want("igrando la configuración del clúster a código revisado"),
            Want("ñadir una alerta cuando el clúster tenga menos de tres réplicas"),
        ],
        incident_date=D(2025, 6, 2),
    ),
    "es_numbered_headings.md": Doc(
        [
            Want("Separar las notificaciones urgentes en su propia cola", "Marta Gil", D(2025, 8, 15)),
            Want("Limitar los reintentos de los proveedores", "Óscar León", D(2025, 8, 29)),
            Want("Documentar cómo vaciar la cola manualmente", None, None),
        ],
        owner="Marta Gil",
        team="Notificaciones",
        extra={"Separar las notificaciones urgentes": "NOT-120"},
    ),
    "es_email.txt": Doc(
        [
            Want("Añadir un límite de memoria al proceso de exportación", "Carmen Vidal", D(2025, 2, 21)),
            Want("Crear una alerta de reinicios del panel", "Diego Sanz", D(2025, 2, 14)),
            Want("Revisar los permisos del usuario de la base de datos", None, None),
        ],
        team="Backoffice",
        incident_date=D(2025, 2, 7),
        title="caída del panel de administración",
    ),
    "es_nothing.md": Doc([], owner="Irene Soto"),
    "pt_notion_export.html": Doc(
        [
            Want("Executar migrações em duas fases", "Beatriz Santos", D(2025, 3, 28), done=True),
            Want("Criar alerta para erros 5xx no checkout", "Rafael Lima", D(2025, 4, 4)),
            Want("Treinar o plantão no procedimento de rollback", None, None),
        ],
        owner="Beatriz Santos",
        team="Checkout",
        incident_date=D(2025, 3, 12),
    ),
    "pt_markdown.md": Doc(
        [
            Want("Colocar em cache as tabelas de frete", "Joana Prado", D(2025, 9, 19), "Alta"),
            Want("Adicionar teste de carga antes de cada promoção", "Caio Ramos", D(2025, 9, 30), "Média"),
            Want("Reescrever o serviço de fretes", "Caio Ramos", None, "Baixa"),
            Want("Aumentar o número de instâncias durante promoções", done=True),
        ],
        owner="@joana",
        team="Logística",
        incident_date=D(2025, 9, 3),
    ),
    "pt_plain.txt": Doc(
        [
            Want("Renovar a chave da API automaticamente", "Paulo Mendes", D(2025, 10, 31)),
            Want("Criar um alerta para a taxa de falhas de envio", "Ana Costa", D(2025, 10, 24)),
            Want("Reenviar os e-mails que falharam", done=True),
        ],
        owner="Paulo Mendes",
        team="Comunicação",
        incident_date=D(2025, 10, 15),
    ),
    "de_confluence_storage.xhtml": Doc(
        [
            Want("Zertifikate automatisch erneuern lassen", "557058:1234-abcd", D(2025, 4, 30), done=True),
            Want("Warnung 30 Tage vor Ablauf", "Jan Vogel", D(2025, 5, 15)),
            Want("Ablaufdaten aller Zertifikate", None, None),
        ],
        owner="557058:1234-abcd",
        team="Identität",
        incident_date=D(2025, 4, 9),
    ),
    "de_markdown.md": Doc(
        [
            Want("Hängenden Job neu starten", done=True),
            Want("Zeitlimit für den Batch-Job einführen", "Klara Bauer", D(2025, 7, 4)),
            Want("Alarm, wenn der Job länger als 2 Stunden läuft", "Timo Roth", D(2025, 6, 27)),
        ],
        owner="@kbauer",
        team="Finanzsysteme",
        incident_date=D(2025, 6, 18),
    ),
    "de_jira.wiki": Doc(
        [
            Want("Defekten Switch austauschen", done=True),
            Want("Überwachung der Fehlerzähler aller Switches einrichten", due=D(2025, 10, 17)),
            Want("Ersatzteile für Core-Switches vor Ort lagern", due=D(2025, 10, 31)),
        ],
        owner="5b10ac8d82e05b22cc7d4ef5",
        team="Netzwerk",
        incident_date=D(2025, 10, 2),
    ),
    "de_nested.md": Doc(
        [
            Want("Alarm bei mehr als 1 % Fehlern", "@lhoffmann", D(2025, 11, 25), kind="detect"),
            Want("Index-Updates nur noch schrittweise ausrollen", kind="prevent"),
            Want("Konfiguration der Suche versionieren", kind="prevent", done=True),
        ],
        owner="Lea Hoffmann",
    ),
    "fr_numbered_headings.md": Doc(
        [
            Want("Tester les mises à jour du pilote en préproduction", "Camille Durand", D(2025, 4, 25)),
            Want("Ajouter une alerte sur le taux d'erreurs", "Hugo Lambert", D(2025, 4, 18)),
            Want("Documenter la procédure de retour arrière", None, None),
        ],
        owner="Camille Durand",
        team="Réservations",
        incident_date=D(2025, 4, 8),
        extra={"Documenter la procédure": "RES-303"},
    ),
    "fr_table.md": Doc(
        [
            Want("Mettre en cache les recommandations", "Élodie Moreau", D(2025, 5, 30), "Haute"),
            Want("Limiter le temps de calcul à 500 ms", "Julien Petit", D(2025, 6, 6), "Haute", done=True),
            Want("Revoir le dimensionnement du cluster", None, None, "Moyenne"),
        ],
        owner="Élodie Moreau",
        team="Personnalisation",
    ),
    "fr_blog.html": Doc(
        [
            Want("imité la taille du cache des tuiles", done=True),
            Want("éployer les mises à jour du cache progressivement"),
            Want("jouter une alerte sur la mémoire disponible"),
        ],
        incident_date=D(2025, 2, 3),
    ),
    "fr_email.txt": Doc(
        [
            Want("Mettre à jour le certificat du serveur de messagerie", "Sophie Laurent", D(2025, 3, 14)),
            Want("Ajouter une alerte sur la file d'attente des messages", "Marc Girard", D(2025, 3, 21)),
        ],
        team="Collaboration",
        incident_date=D(2025, 3, 4),
        title="coupure de la messagerie interne",
    ),
    "en_html_remediation.html": Doc(
        [
            Want("Add per-route timeouts to the gateway configuration"),
            Want("Roll out connection pooling to the auth backend", "Sam Lee", D(2025, 3, 1)),
            Want("Load test the gateway monthly", "Jamie Fox", D(2025, 4, 30), "P2"),
            Want("Alert on upstream 504 rate", None, None),
        ],
        owner="Jamie Fox",
        team="Gateway",
        incident_date=None,
        extra={"Add per-route timeouts": "GW-12"},
    ),
    "en_numbered_table.md": Doc(
        [
            Want("Add disk usage alert at 75%", "@nkumar", D(2025, 3, 20), kind="detect", done=True),
            Want("Set retention by size as well as time", None, D(2025, 4, 1), kind="prevent"),
            Want("Investigate why the cleaner thread stalled", "@li", None, kind="investigate"),
        ],
        owner="@nkumar",
        team="Streaming",
    ),
    "de_email.txt": Doc(
        [
            Want("Timeout für den Bank-Connector auf 10s setzen", "Stefan Braun", D(2025, 4, 11)),
            Want("Monitoring für fehlgeschlagene Überweisungen einrichten", "Eva Klein", D(2025, 4, 18)),
            Want("Runbook für den Failover aktualisieren", done=True),
        ],
        title="Störung Zahlungsverkehr",
    ),
    "en_retro.md": Doc(
        [
            Want("Default new feature flags to off", "@maria", D(2025, 6, 10)),
            Want("Add a release checklist item for flag defaults", "@tiago"),
        ],
        owner="Maria Silva",
        team="Web",
        extra={"Default new feature flags": "Why: three of the last five incidents"},
    ),
    "en_jira_prose.wiki": Doc(
        [
            Want("dded disk alerts on all build agents", done=True),
            Want("oving the artifact cache to object storage"),
            Want("dd cleanup job for stale workspaces", "jsmith", D(2025, 9, 1)),
        ],
        owner="jsmith",
        team="Developer Productivity",
        incident_date=D(2025, 8, 19),
    ),
    "pt_checklist.md": Doc(
        [
            Want("Reverter a atualização da biblioteca OAuth", done=True),
            Want("Fixar versões das bibliotecas de autenticação", "@rita", D(2025, 2, 28)),
            Want("Criar teste de ponta a ponta do login social", None, None),
        ],
        owner="Rita Alves",
        team="Identidade",
        incident_date=D(2025, 2, 11),
    ),
    "fr_html_table.html": Doc(
        [
            Want(
                "Ajouter un index sur la colonne des catégories", "Luc Bernard", D(2025, 6, 20), kind="repair"
            ),
            Want("Surveiller le temps de réponse p99", "Nina Roux", D(2025, 6, 30), kind="detect"),
            Want("Former l'équipe à l'analyse des plans", None, None, kind="process"),
        ],
        owner="Luc Bernard",
        team="Recherche",
        incident_date=D(2025, 6, 12),
    ),
    "es_tarea_table.md": Doc(
        [
            Want("Añadir límites de concurrencia", "Andrés Molina", D(2025, 7, 20), "Alta", done=True),
            Want("Crear alerta de latencia p95", "Sofía Díaz", D(2025, 7, 15), "Media"),
        ],
        owner="Andrés Molina",
        team="Facturación",
        incident_date=D(2025, 7, 8),
    ),
    "en_plain_checkboxes.txt": Doc(
        [
            Want("Increase gateway timeout to 30s", "Priya Shah", done=True),
            Want("Add retry with backoff on gateway calls", "Leo Park", D(2025, 3, 21)),
            Want("Add dashboard for gateway latency", None, None),
        ],
        owner="Priya Shah",
        team="Payments",
        incident_date=D(2025, 3, 3),
    ),
    "en_bold_kind_labels.md": Doc(
        [
            Want("Alert when the nightly backup has not completed", "@marco", D(2025, 5, 2), kind="detect"),
            Want("Rotate backup credentials before they expire", "@julia", kind="prevent"),
            Want("Add backup checks to the on-call handbook", kind="process"),
        ],
        owner="@ops-lead",
    ),
    "en_storage_nested_tasks.xhtml": Doc(
        [
            Want("Alert on partition count changes", "def-456", kind="detect", done=True),
            Want("Require quorum of 3 for the queue cluster", None, D(2025, 6, 30), kind="prevent"),
        ],
        owner="abc-123",
    ),
    "en_what_who_when.md": Doc(
        [
            Want("Add request coalescing in the cache client", "@sara", ANY),
            Want("Warm the cache before deploys", "@tom", D(2025, 4, 25)),
        ],
        incident_date=D(2025, 4, 2),
    ),
    "en_notion_name_column.html": Doc(
        [
            Want(
                "Add circuit breaker to tax service calls",
                "Ola Nordmann",
                D(2025, 5, 2),
                kind="mitigate",
                done=True,
            ),
            Want("Load test checkout with tax service down", None, None, kind="prevent"),
        ],
    ),
    "de_inline_fields.md": Doc(
        [
            Want("Verbindungspool der Datenbank vergrößern", "Jonas Keller", D(2025, 9, 19), done=True),
            Want("Lasttest vor jedem Release einführen", None, None),
        ],
        owner="Jonas Keller",
        team="Identity",
        incident_date=D(2025, 9, 9),
    ),
}


def _parse(name: str) -> Postmortem:
    path = CORPUS / name
    return parse_document(path.read_bytes(), filename=path.name)


def test_the_corpus_is_complete() -> None:
    on_disk = {p.name for p in CORPUS.iterdir() if p.is_file() and p.name != "README.md"}
    assert on_disk == set(EXPECTED)
    assert len(EXPECTED) >= 30
    languages = {name.split("_")[0] for name in EXPECTED}
    assert languages == {"en", "es", "pt", "de", "fr"}


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_corpus_document(name: str) -> None:
    doc = EXPECTED[name]
    pm = _parse(name)
    got = [(i.title, i.owner, i.due, i.priority, i.kind, i.done) for i in pm.action_items]
    assert len(pm.action_items) == len(doc.items), got
    for want, item in zip(doc.items, pm.action_items, strict=True):
        assert want.title in item.title, (want.title, got)
        actual = (item.owner, item.due, item.priority, item.kind, item.done)
        expected = (want.owner, want.due, want.priority, want.kind, want.done)
        checked = [(a, e) for a, e in zip(actual, expected, strict=True) if e is not ANY]
        assert all(a == e for a, e in checked), (item.title, actual, expected)
        assert item.kind is None or item.kind in KINDS
        assert not item.title.rstrip().endswith(("—", "-", "·", "|", ",", ";", ":", "(")), item.title
        assert "http" not in item.title
    for key, value in (("owner", doc.owner), ("team", doc.team), ("incident_date", doc.incident_date)):
        if value is not ANY:
            assert getattr(pm, key) == value, (key, getattr(pm, key))
    if doc.title is not ANY:
        assert isinstance(doc.title, str) and doc.title in (pm.title or "")
    for title, text in doc.extra.items():
        item = next(i for i in pm.action_items if title in i.title)
        assert str(text) in f"{item.description} {item.ref}", (item.description, item.ref)
