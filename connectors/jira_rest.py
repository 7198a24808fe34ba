"""The one seam through which the Jira connector sends requests: the `jira` client's own session.

We reuse the client's authenticated `ResilientSession` (auth, timeout, headers, retries turned off) but
name each endpoint ourselves, because several library helpers cost extra round trips or do the wrong
thing for us: `add_remote_link` lists application links first, `enhanced_search_issues` downloads the
whole field list first and only speaks REST v2, and `create_issues` drops `elementErrors.errorMessages`.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from jira import JIRA

from connectors.jira_connect import is_cloud


class JiraRest:
    """Thin JSON-over-HTTP helper bound to one `jira.JIRA` client."""

    def __init__(self, client: JIRA) -> None:
        self.client = client
        self.server = client.server_url.rstrip("/")
        self.cloud = is_cloud(client)

    def url(self, path: str, *, version: str = "2") -> str:
        """Absolute URL of a REST resource, e.g. url("issue/bulk") -> {server}/rest/api/2/issue/bulk."""
        return f"{self.server}/rest/api/{version}/{path.lstrip('/')}"

    def request(
        self,
        method: str,
        path: str,
        *,
        version: str = "2",
        params: Mapping[str, Any] | None = None,
        body: Any = None,
    ) -> Any:
        """Send one request; return the decoded JSON body (None when empty). Raises JIRAError on non-2xx."""
        session = self.client._session
        kwargs: dict[str, Any] = {}
        if params is not None:
            kwargs["params"] = dict(params)
        if body is not None:
            kwargs["data"] = json.dumps(body)
        response = session.request(method, self.url(path, version=version), **kwargs)
        if not response.content:
            return None
        return response.json()
