"""The private Redis of the service tests, shared with issue 17's end-to-end tests."""

from tests.service.conftest import redis_client, redis_url

__all__ = ["redis_client", "redis_url"]
