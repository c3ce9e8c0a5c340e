"""X-Forwarded-For counts only when the TCP peer is a configured trusted proxy."""

from __future__ import annotations

import pytest

from scheduler.clientaddr import client_address, parse_networks
from signage.config import SchedulerConfig, config_from_mapping
from signage.errors import ConfigError


def test_forwarded_for_is_ignored_without_trusted_proxies() -> None:
    assert client_address("127.0.0.1", "10.9.9.9", []) == "127.0.0.1"
    assert client_address(None, None, []) == "?"


def test_forwarded_for_from_an_untrusted_peer_is_ignored() -> None:
    trusted = parse_networks(["10.0.0.0/8"])
    assert client_address("203.0.113.7", "10.9.9.9", trusted) == "203.0.113.7"


def test_behind_a_trusted_proxy_the_rightmost_untrusted_hop_is_the_client() -> None:
    trusted = parse_networks(["127.0.0.1", "10.0.0.0/8"])
    # the client put "1.1.1.1" in the header itself; the proxy appended the address it saw
    assert client_address("127.0.0.1", "1.1.1.1, 198.51.100.4", trusted) == "198.51.100.4"
    assert client_address("127.0.0.1", "198.51.100.4, 10.1.2.3", trusted) == "198.51.100.4"  # two proxies
    assert client_address("127.0.0.1", "", trusted) == "127.0.0.1"


def test_trusted_proxies_are_validated_in_the_config() -> None:
    config = config_from_mapping(SchedulerConfig, {"trusted_proxies": ["127.0.0.1", "10.0.0.0/8"]}, "x.yaml")
    assert config.trusted_proxies == ["127.0.0.1", "10.0.0.0/8"]
    with pytest.raises(ConfigError, match=r"trusted_proxies.*'nginx'"):
        config_from_mapping(SchedulerConfig, {"trusted_proxies": ["nginx"]}, "x.yaml")
    with pytest.raises(ValueError, match="'nginx'"):
        parse_networks(["nginx"])
