"""Build a `jira.JIRA` client from the settings, with the library's own retries turned off.

Why no library retries: `ResilientSession` retries 429, 503-with-Retry-After and connection errors for
every method, POST included, sleeping up to minutes inside the call. A POST retried after a dropped
connection can create the issue twice. With `max_retries=0` its request loop runs exactly once and never
reaches its sleep (jira/resilientsession.py, `ResilientSession.request`: `retry_number <= max_retries`).
Retries belong to the caller, which searches before creating again.
"""

from __future__ import annotations

import threading
from typing import Any

from jira import JIRA

from config.settings import ConfigError, Settings
from connectors.instrument import instrument_session
from connectors.jira_errors import jira_errors

#: Deployment types reported by GET /rest/api/2/serverInfo
#: (developer.atlassian.com/cloud/jira/platform/rest/v2/api-group-server-info/).
CLOUD = "Cloud"

#: serverInfo's answer per Jira site, learnt once per process. A worker builds a client for every task, and
#: asking again each time cost a call per postmortem; a site's deployment type and version do not change
#: under a running process (a restart asks again).
_server_info: dict[str, dict[str, Any]] = {}
_server_info_guard = threading.Lock()


class _Jira(JIRA):
    """`jira.JIRA` whose constructor reads serverInfo once per site and process.

    The constructor still gets the answer from `server_info()` and sets `deploymentType` and the version
    from it, so Cloud-only calls (enhanced search) keep working with a remembered answer.
    """

    def server_info(self) -> dict[str, Any]:
        site = self.server_url
        with _server_info_guard:
            known = _server_info.get(site)
        if known is None:
            known = super().server_info()
            if known:
                with _server_info_guard:
                    _server_info[site] = dict(known)
        return dict(known or {})


def forget_server_info() -> None:
    """Forget every remembered serverInfo answer (tests start each stand-in afresh)."""
    with _server_info_guard:
        _server_info.clear()


def connect_jira(settings: Settings, *, timeout: float = 30) -> JIRA:
    """A client for JIRA_URL: Cloud with JIRA_EMAIL + JIRA_API_TOKEN, else Data Center with JIRA_PAT."""
    if not settings.jira_url:
        raise ConfigError("JIRA_URL is not set: give the Jira site URL, e.g. https://example.atlassian.net")
    email = (settings.jira_email or "").strip()
    token = settings.jira_api_token.get_secret_value() if settings.jira_api_token else ""
    pat = settings.jira_pat.get_secret_value() if settings.jira_pat else ""
    auth: dict[str, Any]
    if email and token:
        auth = {"basic_auth": (email, token)}
    elif pat:
        auth = {"token_auth": pat}
    elif token:
        raise ConfigError("JIRA_EMAIL is not set: Jira Cloud needs it together with JIRA_API_TOKEN")
    elif email:
        raise ConfigError("JIRA_API_TOKEN is not set: Jira Cloud needs it together with JIRA_EMAIL")
    else:
        raise ConfigError(
            "no Jira credentials: set JIRA_EMAIL and JIRA_API_TOKEN (Cloud) or JIRA_PAT (Data Center)"
        )
    with jira_errors("connect"):
        # get_server_info=True: the client learns deploymentType, without which its Cloud-only
        # calls (enhanced search) silently return None. It is also how we tell Cloud from Data Center.
        # The answer is asked once per site and process (`_Jira`).
        client: JIRA = _Jira(
            server=settings.jira_url,
            options={"check_update": False},
            get_server_info=True,
            max_retries=0,
            timeout=timeout,
            **auth,
        )
    # Every later call is counted by status for /metrics (a serverInfo call above is not).
    instrument_session(client._session, "jira")
    return client


def is_cloud(client: JIRA) -> bool:
    """Whether the server said it is Jira Cloud (serverInfo deploymentType)."""
    return getattr(client, "deploymentType", None) == CLOUD
