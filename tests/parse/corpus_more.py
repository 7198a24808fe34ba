"""Corpus documents added for issue 16 (unseen layouts): containers, disguised headings, markers,
person-led lines, e-mail (.eml), text tables, docs-as-code formats, the failing field classes.

Written for this project; every expected field is asserted by tests/parse/test_corpus.py.
"""

from __future__ import annotations

from datetime import date

from tests.parse.corpus_model import Doc, Want

D = date
MORE: dict[str, Doc] = {
    "de_checklist_plain.txt": Doc(
        [
            Want("Export in Teilen schreiben", "Karl", D(2025, 7, 11)),
            Want("Fehlgeschlagenen Export neu starten", None, None, done=True),
            Want("Speicherlimit des Jobs überwachen", "Ute", None),
        ],
        incident_date=D(2025, 7, 1),
        title="Störung: Export-Job abgebrochen (2025-07-01)",
    ),
    "de_jira_table.wiki": Doc(
        [
            Want("Abgleich parallelisieren", "hannes", D(2025, 7, 11)),
            Want("Alarm bei Verzögerung über 1 Stunde", "greta", D(2025, 7, 4), done=True),
        ],
        incident_date=D(2025, 6, 30),
        title="Störung: Zahlungsabgleich verzögert",
    ),
    "de_kw_dates.md": Doc(
        [
            Want("Indexierung auf Ereignisse umstellen", "Lena", None),
            Want("Alarm bei veraltetem Index einrichten", "Tim", D(2025, 3, 21)),
        ],
        incident_date=D(2025, 3, 10),
        title="Störung: Suchindex veraltet",
    ),
    "de_mail_bold.html": Doc(
        [
            Want("Verbindungspool der Datenbank vergrößern", "Jonas", D(2025, 7, 25)),
            Want("Lasttest vor jedem Release einführen", "Mira", None),
        ],
        incident_date=D(2025, 7, 15),
    ),
    "de_owner_label.md": Doc(
        [
            Want("Zertifikatsablauf überwachen", "Jonas Keller", D(2025, 5, 16)),
            Want("Notfallhandbuch für den Anmeldedienst schreiben", "Petra", None),
        ],
        owner="Jonas Keller",
        incident_date=D(2025, 5, 6),
        title="Störung: Anmeldedienst nicht erreichbar",
    ),
    "en_adoc_checklist.adoc": Doc(
        [
            Want("Rotate webhook secrets with an overlap window", "Dara", None),
            Want("Alert on signature failures above 1%", "Eli", None),
            Want("Re-send the rejected webhooks", None, None, done=True),
        ],
        incident_date=D(2025, 3, 25),
        title="Postmortem: webhook signature mismatch",
    ),
    "en_asciidoc.adoc": Doc(
        [
            Want("Send an idempotency key on every charge retry", "Grace Ho", D(2025, 7, 18)),
            Want("Refund the duplicate charges", "Omar", D(2025, 7, 9), done=True),
            Want("Add a contract test for retried charges", "Grace Ho", None),
            Want("Notify the affected customers", None, None, done=True),
        ],
        owner="Grace Ho",
        team="Payments",
        incident_date=D(2025, 7, 8),
        title="Postmortem: payment retries doubled charges",
    ),
    "en_blockquote.md": Doc(
        [
            Want("Lower the log retention to 7 days", "@vik", D(2025, 4, 10)),
            Want("Alert at 75% disk usage on log nodes", "@amara", None),
        ],
        incident_date=D(2025, 4, 3),
        title="Disk pressure on the logging cluster",
    ),
    "en_confluence_expand.xhtml": Doc(
        [
            Want("Add a PodDisruptionBudget to the resolver", "557058:bb-22", D(2025, 2, 20)),
            Want("Alert when resolver replicas drop below 3", "557058:aa-11", D(2025, 2, 27)),
        ],
        owner="557058:aa-11",
        incident_date=D(2025, 2, 11),
        title="DNS resolution failures in eu-west",
    ),
    "en_confluence_layout.xhtml": Doc(
        [
            Want("Buffer metrics on the agents for 15 minutes", "5566:hana", D(2025, 12, 12)),
            Want("Restart the stuck ingesters", None, None, done=True),
        ],
        owner="Hana Sato",
        incident_date=D(2025, 12, 2),
        title="Postmortem: metrics ingestion gap",
    ),
    "en_dash_fields.md": Doc(
        [
            Want("Raise the upstream keepalive timeout", "Ana", D(2025, 3, 7)),
            Want("Add a 502 rate alert", "bo@example.com", D(2025, 3, 14)),
            Want("Load test the new proxy config", "Carl", D(2025, 3, 21)),
        ],
        incident_date=D(2025, 3, 3),
        title="Checkout 502s — review",
    ),
    "en_details.html": Doc(
        [
            Want("Validate image headers before decoding", "Zoe", D(2025, 4, 10)),
            Want("Run the resizer with a memory limit per request", "Ken", None),
        ],
        incident_date=D(2025, 3, 27),
        title="Postmortem: image resizer crash loop",
    ),
    "en_eml_multipart.eml": Doc(
        [
            Want("Raise the gateway timeout to 30 s", "Nadia", D(2025, 4, 18)),
            Want("Add a synthetic PUT check", "Tomas", None),
            Want("Document the cache purge", None, None, done=True),
        ],
        incident_date=D(2025, 4, 7),
        title="Postmortem: object storage 5xx on 7 April",
    ),
    "en_eml_plain_qp.eml": Doc(
        [
            Want("Run the scheduler on two nodes with a leader lock", "Basil", D(2025, 2, 28)),
            Want("Alert when a scheduled job has not run for 2 intervals", "Cleo", None),
        ],
        incident_date=D(2025, 2, 13),
        title="[Postmortem] Cron scheduler skipped jobs",
    ),
    "en_gitlab_issue.md": Doc(
        [
            Want("Retry merge train jobs on runner loss", None, None, priority="P1"),
            Want("Add a stuck-train detector", None, None, priority="P2"),
            Want("Restart the stuck trains", "@hlee", None, done=True),
        ],
        owner="@hlee",
        incident_date=D(2025, 9, 3),
        title="Incident review: merge trains stuck (2025-09-03)",
        extra={
            "Retry merge train jobs on runner loss": "#5141",
            "Add a stuck-train detector": "platform/ci-tools#77",
        },
    ),
    "en_google_doc.html": Doc(
        [
            Want("Shorten the SSO session lifetime to 8 hours", "Rui Tanaka", D(2025, 2, 7)),
            Want("Add an end-to-end login probe", "Ama", None),
        ],
        owner="Rui Tanaka",
        incident_date=D(2025, 1, 28),
        title="Postmortem: SSO login loop",
    ),
    "en_grid_table.txt": Doc(
        [
            Want("Cache the session lookups in the gateway", "Sam Ito", D(2025, 2, 7)),
            Want("Add p99 login latency to the SLO dashboard", "Lena", D(2025, 2, 14), done=True),
        ],
        owner="Sam Ito",
        incident_date=D(2025, 1, 22),
        title="Postmortem: login latency, 2025-01-22",
    ),
    "en_intro_closing.md": Doc(
        [
            Want("Move password reset mail to the priority queue", "Ellis", D(2025, 7, 18)),
            Want("Alert when the mail queue is older than 5 minutes", "Fern", None),
        ],
        incident_date=D(2025, 7, 2),
        title="Postmortem: delayed password reset e-mails",
    ),
    "en_jira_icons.wiki": Doc(
        [
            Want("Unstick the deploy queue", None, None, done=True),
            Want("Add a timeout to the deploy lock", "oscar", None),
            Want("Document the manual unlock procedure", "wren", None),
        ],
        incident_date=D(2025, 10, 7),
        title="Postmortem: deploy pipeline stuck",
    ),
    "en_jira_panel.wiki": Doc(
        [
            Want("Add a lag alert at 10 minutes", "5b10ac8d82e05b22cc7d4ef5", D(2025, 4, 25)),
            Want("Roll out mapping changes behind a flag", "61f2aa00bd11c8006a1b2c3d", D(2025, 5, 9)),
            Want("Reindex the stale shards", "61f2aa00bd11c8006a1b2c3d", D(2025, 4, 15), done=True),
        ],
        owner="5b10ac8d82e05b22cc7d4ef5",
        incident_date=D(2025, 4, 14),
        title="Postmortem: search indexing lag (2025-04-14)",
    ),
    "en_kv_header_table.md": Doc(
        [
            Want("Spread evictions over time with a token bucket", "@sven", D(2025, 6, 10)),
            Want("Add an eviction rate panel to the storage dashboard", "@tove", None),
        ],
        owner="Sven Olsen",
        team="Storage",
        incident_date=D(2025, 5, 27),
        title="Postmortem: object cache eviction storm",
    ),
    "en_legend_checklist.md": Doc(
        [
            Want("Invalidate the search cache on reindex", "@tariq", None),
            Want("Reindex the catalog", None, None, done=True),
            Want("Add a freshness check to the search probe", None, None, done=True),
        ],
        incident_date=D(2025, 5, 15),
        title="Postmortem: stale search results",
    ),
    "en_mail_bold.html": Doc(
        [
            Want("Add a circuit breaker in front of the tax service", "Priya", D(2025, 3, 21)),
            Want("Run the failover drill for the billing database", "Marco", None),
            Want("Publish the customer-facing incident note", None, None, done=True),
        ],
        incident_date=D(2025, 3, 4),
    ),
    "en_meeting_markers.md": Doc(
        [
            Want("Add jitter to the cache TTLs", "Ana", None),
            Want("Add a dashboard for cache hit ratio", "Bob", None),
            Want("Write a runbook for flushing the cache safely", "Carol", None),
            Want("Move the review notes to the wiki", None, None),
        ],
        incident_date=D(2025, 5, 6),
        title="Incident review sync — 2025-05-06",
    ),
    "en_numbered_plain.txt": Doc(
        [
            Want("Fix the standby health check port", "Femi Adeyemi", D(2025, 11, 14)),
            Want("Test the failover every quarter", "Gail", None),
            Want("Add the gateway to the synthetic probes", None, None, done=True),
        ],
        owner="Femi Adeyemi",
        incident_date=D(2025, 11, 4),
        title="Postmortem - VPN gateway failover failed",
    ),
    "en_numbered_subheadings.md": Doc(
        [
            Want("Cap the sync worker's batch size", "@kofi", D(2025, 3, 7), priority="P1"),
            Want("Add a memory usage alert for sync workers", "@lea", D(2025, 3, 14)),
        ],
        incident_date=D(2025, 2, 25),
        title="Postmortem: sync worker memory leak",
    ),
    "en_org_keywords.org": Doc(
        [
            Want("Purge the CDN on every release", None, D(2025, 5, 9)),
            Want("Vendor fix for purge API timeouts", None, None),
            Want("Purge the stale assets by hand", None, None, done=True),
        ],
        incident_date=D(2025, 4, 29),
        title="Postmortem: stale CDN assets",
    ),
    "en_org_mode.org": Doc(
        [
            Want("Prune cached layers nightly", "Lin Chen", D(2025, 8, 29)),
            Want("Clear the disks on all runners", None, None, done=True),
            Want("Alert at 80% disk usage on runners", "Raj", None, priority="A"),
        ],
        owner="Lin Chen",
        incident_date=D(2025, 8, 19),
        title="Postmortem: CI runners out of disk",
    ),
    "en_org_table.txt": Doc(
        [
            Want("Partition the webhook queue by tenant", "Ravi", D(2025, 4, 4)),
            Want("Alert when delivery lag exceeds 5 min", "June", D(2025, 3, 28)),
        ],
        incident_date=D(2025, 3, 19),
        title="Incident: webhook delivery delays (2025-03-19)",
    ),
    "en_page_properties.xhtml": Doc(
        [
            Want("Fall back to the previous suggestion index", "6001:yara", D(2025, 11, 28)),
            Want("Alert on empty suggestion responses", "6001:zed", D(2025, 12, 5)),
        ],
        owner="6001:yara",
        incident_date=D(2025, 11, 18),
    ),
    "en_person_led.txt": Doc(
        [
            Want("Rotate the broker credentials", "Alice", None),
            Want("Add an alert on consumer lag", "Bob", D(2025, 6, 30)),
            Want("Review the retry policy of the consumers", "Dee", None),
            Want("Schedule a broker failover game day", "Carol", D(2025, 7, 15)),
        ],
        incident_date=D(2025, 6, 12),
        title="Queue backlog on 12 June 2025 - review notes",
    ),
    "en_quarters.md": Doc(
        [
            Want("Shard the quota store", "Rosa", None),
            Want("Add request hedging to the quota client", "Ivan", None),
            Want("Raise the quota cache size", "Rosa", D(2025, 5, 30)),
        ],
        incident_date=D(2025, 5, 20),
        title="Postmortem: quota service overload",
    ),
    "en_setext.md": Doc(
        [
            Want("Add jitter to catalog cache TTLs", "@pablo", D(2025, 3, 1)),
            Want("Rate-limit cache refills per key", "@irene", None),
        ],
        incident_date=D(2025, 2, 18),
        title="Cache stampede on the catalog service",
    ),
    "en_slack_export.txt": Doc(
        [
            Want("Add a timeout to the flag client", "U04AB12CD", None),
            Want("Cache flag values for 60 seconds", "maria", None),
            Want("Fix the health check", None, None),
        ],
        owner="maria",
        incident_date=D(2025, 10, 1),
        title="Postmortem: feature flag service timeouts",
        extra={"Fix the health check": "FLAG-88"},
    ),
    "en_slack_thread.txt": Doc(
        [
            Want("Add a unit test for limiter units", "Ines", None),
            Want("Validate limiter configs at deploy time", None, None),
        ],
        incident_date=D(2025, 12, 9),
        title="Incident retro: rate limiter misconfigured",
        extra={"Validate limiter configs at deploy time": "RL-19"},
    ),
    "en_sphinx.rst": Doc(
        [
            Want("Automate certificate renewal for the registry", "Kenji Watanabe", D(2025, 6, 20)),
            Want("Alert 30 days before any certificate expires", "Mia Lopez", D(2025, 6, 13)),
        ],
        owner="Kenji Watanabe",
        incident_date=D(2025, 6, 2),
        title="Postmortem: artifact registry outage",
    ),
    "en_status_column.md": Doc(
        [
            Want("Deduplicate notifications per user per minute", "Ola", None),
            Want("Add a fan-out rate alert", "Pia", None, done=True),
        ],
        incident_date=D(2025, 3, 11),
        title="Postmortem: notification fan-out storm",
    ),
    "en_struck.md": Doc(
        [
            Want("Validate config schemas in CI", "@jo", D(2025, 6, 20)),
            Want("Revert the bad push", None, None, done=True),
        ],
        incident_date=D(2025, 6, 10),
        title="Postmortem: config push broke canary",
    ),
    "en_tracker_pointer.md": Doc(
        [
            Want("Add a partition check before backfills start", "@noor", D(2025, 10, 24)),
        ],
        incident_date=D(2025, 10, 14),
        title="Postmortem: analytics pipeline backfill",
    ),
    "en_two_tables.md": Doc(
        [
            Want("Test cipher changes against old clients", "Quinn", D(2025, 4, 30)),
            Want("Stage cipher rollouts by region", "Rhea", D(2025, 5, 9)),
        ],
        incident_date=D(2025, 4, 16),
        title="Postmortem: TLS handshake failures",
    ),
    "es_jira_panel.wiki": Doc(
        [
            Want("Paralelizar la generación de facturas", "Carmen", D(2025, 2, 20)),
            Want("Alertar si la facturación no termina a las 06:00", "Diego", D(2025, 2, 14)),
        ],
        incident_date=D(2025, 2, 4),
        title="Incidente: retraso en la facturación",
    ),
    "es_org_mode.org": Doc(
        [
            Want("Reintentar los envíos fallidos automáticamente", "Sofía", D(2025, 6, 27)),
            Want("Vaciar la cola manualmente", None, None, done=True),
        ],
        incident_date=D(2025, 6, 17),
        title="Incidente: cola de correos atascada",
    ),
    "es_owner_label.md": Doc(
        [
            Want("Añadir una alerta de latencia en la pasarela", "Lucía Romero", D(2025, 3, 21)),
            Want("Documentar el procedimiento de conmutación", "Andrés", None),
        ],
        owner="Lucía Romero",
        incident_date=D(2025, 3, 12),
        title="Incidente: caída del servicio de pagos",
    ),
    "es_person_led.md": Doc(
        [
            Want("Revisar los límites de memoria del buscador", "Marta", None),
            Want("Añadir una alerta de errores 500", "Luis", D(2025, 7, 4)),
        ],
        incident_date=D(2025, 6, 24),
        title="Incidente: errores 500 en el buscador",
    ),
    "es_rst_list.rst": Doc(
        [
            Want("Renovar los certificados automáticamente", "Inés Vidal", D(2025, 5, 30)),
            Want("Alertar 30 días antes de la caducidad", "Raúl", None),
        ],
        owner="Inés Vidal",
        incident_date=D(2025, 5, 20),
        title="Incidente: certificados caducados en la API",
    ),
    "fr_asciidoc.adoc": Doc(
        [
            Want("Réduire la rétention des journaux à 7 jours", "Élodie Bernard", D(2025, 4, 30)),
            Want("Ajouter une alerte à 80 % d'occupation", "Marc", D(2025, 5, 7)),
        ],
        owner="Élodie Bernard",
        incident_date=D(2025, 4, 22),
        title="Incident : saturation du stockage des journaux",
    ),
    "fr_html_details.html": Doc(
        [
            Want("Ajouter des consommateurs automatiquement", "Léa", D(2025, 8, 22)),
            Want("Alerter au-delà de 10 000 messages", "Noé", D(2025, 8, 29)),
        ],
        incident_date=D(2025, 8, 12),
        title="Incident : file de messages saturée",
    ),
    "fr_meeting_markers.md": Doc(
        [
            Want("Ajouter une alerte sur le taux d'erreur des paiements", None, None),
            Want("Documenter la bascule vers le fournisseur de secours", None, None),
        ],
        incident_date=D(2025, 8, 5),
        title="Revue d'incident — 2025-08-05",
    ),
    "fr_owner_label.md": Doc(
        [
            Want("Ajouter un cache devant l'index", "Camille Martin", D(2025, 6, 13)),
            Want("Documenter la procédure de réindexation", "Hugo", None),
        ],
        owner="Camille Martin",
        incident_date=D(2025, 6, 3),
        title="Incident : lenteur de l'API de recherche",
    ),
    "pt_grid_table.txt": Doc(
        [
            Want("Adicionar cache ao cálculo do frete", "Beatriz", D(2025, 9, 19)),
            Want("Criar alerta de latência p99", "Rafael", D(2025, 9, 26)),
        ],
        incident_date=D(2025, 9, 9),
        title="Incidente: lentidão no checkout (2025-09-09)",
    ),
    "pt_jira_expand.wiki": Doc(
        [
            Want("Reprocessar os eventos perdidos", None, None, done=True),
            Want("Adicionar idempotência ao consumidor de estoque", "carla", None),
            Want("Criar alerta de atraso na sincronização", "tiago", None),
        ],
        incident_date=D(2025, 9, 16),
        title="Incidente: falha na sincronização de estoque",
    ),
    "pt_owner_label.md": Doc(
        [
            Want("Aumentar o número de consumidores da fila", "João Silva", D(2025, 4, 18)),
            Want("Criar um alerta de atraso da fila", "Marta", D(2025, 4, 25)),
        ],
        owner="João Silva",
        incident_date=D(2025, 4, 8),
        title="Incidente: atraso nas notificações",
    ),
    "pt_sphinx.rst": Doc(
        [
            Want("Adicionar verificação de saúde antes do deploy", "Ana Costa", D(2025, 5, 23)),
            Want("Criar um rollback automático", "Pedro", D(2025, 5, 30)),
        ],
        owner="Ana Costa",
        incident_date=D(2025, 5, 13),
        title="Incidente: falha no deploy do gateway",
    ),
}
