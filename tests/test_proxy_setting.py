"""TRUSTED_PROXY_COUNT: the client address behind a reverse proxy (werkzeug's ProxyFix), off by default."""

from __future__ import annotations

from flask import request

from tests.conftest import make_config


def client_address(databases, redis_url, headers: dict, **settings) -> tuple[str, str]:
    from saas import create_app

    app = create_app(make_config(databases.new("proxy"), redis_url, **settings))
    app.add_url_rule("/probe-address", "probe_address", lambda: f"{request.remote_addr} {request.scheme}")
    response = app.test_client().get("/probe-address", headers=headers, environ_base={"REMOTE_ADDR": "10.0.0.2"})
    address, scheme = response.get_data(as_text=True).split()
    return address, scheme


FORWARDED = {"X-Forwarded-For": "203.0.113.9, 198.51.100.7", "X-Forwarded-Proto": "https"}


def test_without_the_setting_forwarded_headers_are_ignored(databases, redis_url):
    assert client_address(databases, redis_url, FORWARDED) == ("10.0.0.2", "http")


def test_one_trusted_proxy_gives_the_address_it_saw_and_the_scheme(databases, redis_url):
    # The proxy appends the address it saw; anything before it was written by the client.
    assert client_address(databases, redis_url, FORWARDED, TRUSTED_PROXY_COUNT=1) == ("198.51.100.7", "https")


def test_two_trusted_proxies_take_the_second_address_from_the_right(databases, redis_url):
    headers = {**FORWARDED, "X-Forwarded-Proto": "https, http"}  # each proxy appends what it was reached by
    assert client_address(databases, redis_url, headers, TRUSTED_PROXY_COUNT=2) == ("203.0.113.9", "https")
