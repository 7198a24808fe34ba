"""Optional error reporting: Sentry's SDK with its Celery and Starlette integrations, when SENTRY_DSN is set.

sentry-sdk is an extra (`pip install 'followthrough[sentry]'`) and is imported only when a DSN is set.
Request bodies, local variables and personal data are never sent: a webhook body is an untrusted
document, and a frame's locals can hold a token.
"""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version
from typing import Any

from config.settings import ConfigError, Settings

_started: set[str] = set()


def scrub_event(event: dict[str, Any], _hint: Any = None) -> dict[str, Any]:
    """Drop the request's query string and cookies before an event leaves: the dashboard token travels
    in `?token=` (in any spelling of the key) and the session in a cookie."""
    request = event.get("request")
    if isinstance(request, dict):
        request.pop("query_string", None)
        request.pop("cookies", None)
        if isinstance(request.get("url"), str):
            request["url"] = request["url"].split("?", 1)[0]
        headers = request.get("headers")
        if isinstance(headers, dict):
            for name in list(headers):
                if str(name).lower() in ("cookie", "authorization", "x-hub-signature-256",
                                         "x-hub-signature", "x-followthrough-signature"):
                    headers[name] = "[Filtered]"
    return event


def _release() -> str | None:
    try:
        return f"followthrough@{version('followthrough')}"
    except PackageNotFoundError:
        return None


def init_sentry(settings: Settings) -> bool:
    """Start the SDK once per process and DSN; False when no DSN is set. ConfigError if it is missing."""
    dsn = settings.sentry_dsn.get_secret_value().strip() if settings.sentry_dsn else ""
    if not dsn:
        return False
    if dsn in _started:
        return True
    try:
        import sentry_sdk
        from sentry_sdk.integrations.celery import CeleryIntegration
        from sentry_sdk.integrations.starlette import StarletteIntegration
    except ImportError:
        raise ConfigError(
            "SENTRY_DSN is set but sentry-sdk is not installed: pip install 'followthrough[sentry]'"
        ) from None
    try:
        sentry_sdk.init(
            dsn=dsn,
            release=_release(),
            integrations=[StarletteIntegration(), CeleryIntegration(monitor_beat_tasks=False)],
            send_default_pii=False,
            include_local_variables=False,
            max_request_body_size="never",
            traces_sample_rate=None,
            before_send=scrub_event,  # type: ignore[arg-type]
        )
    except Exception as exc:  # sentry_sdk raises BadDsn (an Exception) for a malformed DSN
        raise ConfigError(f"invalid setting SENTRY_DSN: {type(exc).__name__}") from None
    _started.add(dsn)
    return True
