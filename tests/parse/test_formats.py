"""One fixture per supported format and language, with the exact items and fields expected."""

from __future__ import annotations

from datetime import date

from tests.parse.conftest import item, load, titles


def test_markdown_gfm_task_list_table_embedded_html_and_duplicates() -> None:
    pm = load("markdown_gfm.md")
    assert (pm.title, pm.owner, pm.incident_date, pm.severity) == (
        "Checkout latency incident",
        "Priya Natarajan",
        date(2024, 2, 12),
        "SEV-2",
    )
    assert titles(pm) == [
        "Add an alert on p99 checkout latency",
        "Roll back the pool size change",
        "Load-test connection pool settings before release",
        "Document the pool sizing rules in the runbook",
        "Review the retry policy with the platform team",
    ]
    # Listed in the task list and again in the table: one item, the table row's fields win (issue 8).
    alert = item(pm, "Add an alert on p99 checkout latency")
    assert (alert.owner, alert.due, alert.priority, alert.kind, alert.ref, alert.done) == (
        "Omar Haddad",
        date(2024, 3, 1),
        "P1",
        "detect",
        "PAY-120",
        False,
    )
    rollback = item(pm, "Roll back the pool size change")
    assert rollback.done is True and rollback.ref == "PAY-101"
    runbook = item(pm, "Document the pool sizing rules in the runbook")
    assert (runbook.owner, runbook.due, runbook.kind) == ("Lena Fischer", None, "process")
    assert (
        item(pm, "Review the retry policy with the platform team").ref
        == "https://github.com/acme/checkout/issues/88"
    )
    # Issue 16: a container's title counts as a heading, so the <details> item sits in "Extra follow-ups".
    assert {i.section for i in pm.action_items} == {"Action items", "Extra follow-ups"}
    assert item(pm, "Review the retry policy with the platform team").section == "Extra follow-ups"
    assert not any("Deploy" in t or "Rolled back" in t or "canary" in t for t in titles(pm))


def test_confluence_page_export() -> None:
    pm = load("confluence_export.html")
    assert pm.title == "Payments API outage 2024-05-02"
    assert (pm.owner, pm.incident_date, pm.severity) == ("Dana Whitfield", date(2024, 5, 2), "High")
    assert titles(pm) == [
        "Renew the gateway certificate",
        "Automate certificate renewal with cert-manager",
        "Alert 30 days before any certificate expires",
    ]
    renew = item(pm, "Renew the gateway certificate")
    assert renew.done is True and renew.ref == "https://acme.atlassian.net/browse/PAY-431"
    automate = item(pm, "Automate certificate renewal with cert-manager")
    assert (automate.owner, automate.due, automate.done) == ("Sam Okafor", date(2024, 6, 14), False)
    alert = item(pm, "Alert 30 days before any certificate expires")
    assert (alert.owner, alert.due, alert.done) == ("Dana Whitfield", date(2024, 5, 31), True)


def test_notion_export() -> None:
    pm = load("notion_export.html")
    assert (pm.title, pm.owner, pm.incident_date, pm.severity) == (
        "Search indexing delay",
        "Mia Jensen",
        date(2024, 3, 14),
        "Sev 3",
    )
    assert titles(pm) == [
        "Pause the migration job",
        "Add queue depth alerting for the indexer",
        "Run schema migrations in batches",
    ]
    assert item(pm, "Pause the migration job").done is True
    assert item(pm, "Add queue depth alerting for the indexer").owner == "@mia"
    batches = item(pm, "Run schema migrations in batches")
    assert (batches.owner, batches.due) == ("Noah Berg", date(2024, 4, 2))


def test_google_docs_export_with_relative_due_date() -> None:
    pm = load("google_docs.html")
    assert (pm.title, pm.owner, pm.incident_date) == (
        "Login outage postmortem",
        "Ravi Menon",
        date(2024, 6, 3),
    )
    assert titles(pm) == ["Add a synthetic login check every minute", "Rotate the session signing key safely"]
    assert item(pm, "Add a synthetic login check every minute").due == date(2024, 6, 20)
    # "in 2 weeks" counts from the incident date.
    rotate = item(pm, "Rotate the session signing key safely")
    assert (rotate.owner, rotate.due) == ("Jo Park", date(2024, 6, 17))
    assert {i.section for i in pm.action_items} == {"Corrective actions"}


def test_confluence_storage_format() -> None:
    pm = load("storage.xhtml")
    assert pm.title == "DNS resolution failures"
    assert pm.owner == "557058:1f2e3d4c-aaaa-bbbb-cccc-1234567890ab"
    assert (pm.incident_date, pm.severity) == (date(2024, 7, 9), "SEV1")
    assert titles(pm) == [
        "Restore the resolver cache TTL",
        "Add DNS failure alerting",
        "Run a game day for resolver outages",
    ]
    restore = item(pm, "Restore the resolver cache TTL")
    assert (restore.owner, restore.done) == ("5d7e8f9a0b1c2d3e4f5a6b7c", True)
    alerting = item(pm, "Add DNS failure alerting")
    assert (alerting.owner, alerting.due, alerting.ref, alerting.done) == (
        "5d7e8f9a0b1c2d3e4f5a6b7c",
        date(2024, 8, 1),
        "NET-88",
        False,
    )
    game_day = item(pm, "Run a game day for resolver outages")
    assert (game_day.owner, game_day.due, game_day.done) == ("kpatel", date(2024, 9, 15), False)


def test_jira_wiki_markup() -> None:
    pm = load("jira_wiki.txt")
    assert (pm.title, pm.owner, pm.incident_date, pm.severity) == (
        "Queue consumer crash loop",
        "5b10a2844c20165700ede21g",
        date(2024, 3, 18),
        "Major",
    )
    assert titles(pm) == [
        "Handle empty payloads in the consumer | add a unit test",
        "Add a dead-letter queue for poison messages",
        "Alert when consumer restarts exceed 3 per minute",
        "Document the payload contract in the wiki",
    ]
    first = pm.action_items[0]
    assert (first.owner, first.due, first.ref) == (
        "5b10a2844c20165700ede21g",
        date(2024, 3, 25),
        "https://acme.atlassian.net/browse/QUE-12",
    )
    dlq = item(pm, "Add a dead-letter queue for poison messages")
    assert (dlq.owner, dlq.due) == ("jsmith", None)
    assert item(pm, "Alert when consumer restarts exceed 3 per minute").owner == "mlopez"
    assert item(pm, "Document the payload contract in the wiki").section == "Next steps"


def test_plain_text_bare_headings_and_inline_fields() -> None:
    pm = load("plain.txt")
    assert (pm.owner, pm.incident_date, pm.severity) == ("Grace Liu", date(2024, 1, 22), "Low")
    assert titles(pm) == [
        "Move backups to the larger volume",
        "Alert when the backup volume is above 80% full",
    ]
    move = item(pm, "Move backups to the larger volume")
    assert (move.owner, move.due, move.section) == ("Grace Liu", date(2024, 2, 5), "Follow-up Actions")
    assert item(pm, "Alert when the backup volume is above 80% full").owner == "@ops-oncall"


def test_prose_commitments_take_the_commitment_as_title() -> None:
    pm = load("prose_prevention.txt")
    assert titles(pm) == [
        "Add iOS 15 and 16 devices to the release test matrix.",
        "Block releases that raise the crash rate above 1% in the staged rollout.",
    ]
    assert pm.action_items[0].section == "What we are doing to prevent this"
    assert "test matrix only covered" in (pm.action_items[0].description or "")


def test_spanish_headings_and_day_first_dates() -> None:
    pm = load("spanish.md")
    assert (pm.owner, pm.incident_date, pm.severity) == ("Lucía Fernández", date(2024, 3, 5), "Alta")
    assert titles(pm) == [
        "Validar la configuración en el pipeline de despliegue",
        "Añadir alertas de tasa de error en pagos",
    ]
    first = pm.action_items[0]
    assert (first.owner, first.due, first.priority, first.section) == (
        "Diego Martín",
        date(2024, 4, 4),
        "Alta",
        "Acciones correctivas",
    )
    assert pm.action_items[1].due == date(2024, 4, 12)


def test_german_headings_and_dotted_dates() -> None:
    pm = load("german.md")
    assert (pm.title, pm.owner, pm.incident_date, pm.severity) == (
        "Ausfall der Suche",
        "Jana Weber",
        date(2024, 4, 3),
        "Mittel",
    )
    assert titles(pm) == ["Zertifikatsablauf überwachen", "Runbook für Zertifikatswechsel schreiben"]
    watch = pm.action_items[0]
    assert (watch.owner, watch.due, watch.section) == ("Jonas Becker", date(2024, 5, 2), "Maßnahmen")
    assert pm.action_items[1].owner == "@jbecker"


def test_portuguese_and_french_sections() -> None:
    pm = load("portuguese_french.txt")
    assert (pm.owner, pm.incident_date) == ("João Silva", date(2024, 6, 10))
    assert titles(pm) == [
        "Adicionar monitoramento da fila de e-mails",
        "Documentar o procedimento de failover do provedor",
        "Ajouter une alerte sur le taux de rebond",
    ]
    assert (pm.action_items[0].owner, pm.action_items[0].due) == ("Ana Souza", date(2024, 7, 15))
    assert pm.action_items[2].owner == "Claire Martin"
    assert pm.action_items[2].section == "Actions correctives"


def test_postmortem_without_action_items() -> None:
    pm = load("no_actions.md")
    assert pm.title == "Brief CDN cache miss spike"
    assert pm.action_items == ()


def test_adversarial_table() -> None:
    pm = load("adversarial.md")
    assert titles(pm) == [
        "Escape | the pipe in this action",
        "Sanitise cell input",
        "First line second line of the action",
    ]
    assert [i.owner for i in pm.action_items] == ["Ann Lee", "Bo Chen", "Cy Diaz"]
    assert [i.due for i in pm.action_items] == [date(2024, 5, 1), date(2024, 5, 2), date(2024, 5, 3)]
    assert not any(
        "script" in (i.description or "") or "alert(" in (i.description or "") for i in pm.action_items
    )


def test_fingerprints_are_unique_and_hex() -> None:
    for name in ("markdown_gfm.md", "jira_wiki.txt", "storage.xhtml"):
        pm = load(name)
        prints = [i.fingerprint for i in pm.action_items]
        assert len(set(prints)) == len(prints)
        assert all(len(p) == 16 and int(p, 16) >= 0 for p in prints)


def test_sre_template_status_rides_in_the_bug_column() -> None:
    pm = load("sre_template.md")
    assert pm.title == "Checkout Search Outage Postmortem (incident #212)"
    assert pm.incident_date == date(2023, 6, 14)
    runbook = item(pm, "Add a runbook entry for cache warm-up after failover")
    assert (runbook.owner, runbook.kind, runbook.ref, runbook.done) == ("rkhan", "mitigate", None, True)
    ratelimit = item(pm, "Rate-limit reindex jobs per tenant")
    assert (ratelimit.ref, ratelimit.done) == ("Bug 7781001", False)
    page = item(pm, "Page on reindex queue age above ten minutes")
    assert (page.owner, page.kind, page.ref, page.done) == ("okafor", "detect", "CHK-88", True)


def test_title_with_a_colon_and_date_given_only_as_time_element() -> None:
    pm = load("titled_storage.xhtml")
    assert pm.title == "Störungsbericht: Suchausfall"
    assert pm.incident_date == date(2024, 2, 12)
    assert titles(pm) == ["Leistungstest für die Suche einführen"]


def test_gitlab_review_refs_and_mentions_leave_no_residue_in_titles() -> None:
    pm = load("gitlab_review.md")
    assert (pm.owner, pm.incident_date, pm.severity) == ("@jdoe", date(2024, 3, 5), "S2")
    assert titles(pm) == [
        "Add saturation alerting for the urgent-other shard",
        "Reduce the concurrency of ExportJob to 5",
        "Roll back the Sidekiq upgrade",
    ]
    alert = item(pm, "Add saturation alerting for the urgent-other shard")
    assert alert.owner == "@asmith"
    assert alert.ref == "https://gitlab.com/gitlab-com/gl-infra/production/-/issues/17001"
    assert item(pm, "Reduce the concurrency of ExportJob to 5").due == date(2024, 4, 1)
    assert item(pm, "Roll back the Sidekiq upgrade").done is True


def test_inline_fields_separated_by_dashes_and_a_date_in_the_title() -> None:
    pm = load("inline_fields.md")
    assert (pm.owner, pm.incident_date, pm.severity) == ("Carla Gómez", date(2024, 1, 9), "SEV-1")
    slo = item(pm, "Add p99 latency SLO")
    assert (slo.owner, slo.due, slo.ref) == ("@cgomez", date(2024, 2, 15), "API-311")
    assert item(pm, "Investigate GC pauses").done is True
    assert "Require a load test for every database migration." in titles(pm)
