"""Tests of the shared page cache (app/pagecache.py): the app fixture with the cache on, in process."""
import pytest


@pytest.fixture
def config_overrides(config_overrides) -> dict:
    return {**config_overrides, "PAGE_CACHE_ENABLED": True, "REDIS_URL": None}


def shopper_csrf(client) -> str:
    """The token static/js/shopper.js fetches for a shared page's forms."""
    return client.get("/shopper?csrf=1").get_json()["csrf_token"]
