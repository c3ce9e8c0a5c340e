"""CAP 1.2 parsing and polling a BMKG-style feed (RSS index + CAP documents) on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from fake_cap import FakeCapFeed, cap_document
from fake_sites import FakeSite

from content.sources.cap import Alert, CapError, matching_groups, parse_cap, parse_rss
from content.sources.config import SourceConfigError, checked
from content.sources.run import SourceState, poll

NOW = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
AREAS = {"Mempawah": ["kabupaten"], "Sungai Pinyuh": ["kec-sungai-pinyuh"]}


@pytest.fixture
def feed() -> Iterator[FakeCapFeed]:
    server = FakeCapFeed()
    yield server
    server.stop()


def test_cap_document_in_indonesian() -> None:
    alert = parse_cap(cap_document("CKB20261128001"), "id")
    assert alert.identifier == "CKB20261128001" and alert.msg_type == "Alert"
    assert alert.event == "Hujan Lebat dan Petir" and alert.headline.endswith("Kalimantan Barat")
    assert alert.emergency and not alert.expired(NOW)
    assert alert.expires == "2026-11-28T12:20:00+07:00"
    assert matching_groups(alert, AREAS) == ["kabupaten", "kec-sungai-pinyuh"]
    english = parse_cap(cap_document("X"), "en")
    assert english.event == "Thunderstorm"


def test_severity_urgency_and_references() -> None:
    moderate = parse_cap(cap_document("A", severity="Moderate"))
    assert not moderate.emergency
    expected = parse_cap(cap_document("B", urgency="Expected"))
    assert not expected.emergency
    update = parse_cap(cap_document("C", msg_type="Update", references="bmkg@bmkg.go.id,A,2026-11-28T09:45:00+07:00"))
    assert update.referenced_ids() == ["A"]
    old = parse_cap(cap_document("D", namespace="urn:oasis:names:tc:emergency:cap:1.1"))
    assert old.identifier == "D"
    assert Alert.from_json(update.to_json()) == update


def test_bad_documents_are_refused() -> None:
    with pytest.raises(CapError, match="XML"):
        parse_cap("<alert><identifier>x</alert>")
    with pytest.raises(CapError, match="msgType"):
        parse_cap(cap_document("E", msg_type="Rumour"))
    assert parse_rss("<rss><channel><item><link>http://h/a.xml</link></item></channel></rss>") == ["http://h/a.xml"]


def test_poll_reads_feed_and_documents(feed: FakeCapFeed) -> None:
    feed.publish("CKB001", cap_document("CKB001"))
    feed.publish("CKB002", cap_document("CKB002", severity="Moderate", area="Kapuas Hulu"))
    source = checked(id="bmkg", kind="cap", url=feed.url, timeout_s=2, poll_interval_s=60, options={"areas": AREAS})
    first = poll(source, SourceState(), None, now=NOW)
    assert first.error is None and first.snapshot is not None, first.error
    assert [a["identifier"] for a in first.snapshot.alerts] == ["CKB001", "CKB002"]
    assert first.snapshot.validation.status == "ok"
    # CAP documents already read are not fetched again (they never change; an update is a new document)
    feed.site.requests.clear()
    second = poll(source, first.state, first.snapshot, now=NOW)
    assert second.snapshot is not None and len(second.snapshot.alerts) == 2
    assert [p for p, _ in feed.site.requests] == ["/alerts/nowcast/id/rss.xml"]


def test_empty_feed_is_valid_and_foreign_links_are_refused(feed: FakeCapFeed) -> None:
    source = checked(id="bmkg", kind="cap", url=feed.url, timeout_s=2, options={"areas": AREAS})
    empty = poll(source, SourceState(), None, now=NOW)
    assert empty.snapshot is not None and empty.snapshot.alerts == () and empty.snapshot.validation.status == "ok"
    other = FakeSite()
    try:
        other.routes["/evil.xml"] = lambda q: (200, {}, cap_document("EVIL").encode())
        rss = f"<rss><channel><item><link>{other.url}/evil.xml</link></item></channel></rss>".encode()
        feed.site.routes["/alerts/nowcast/id/rss.xml"] = lambda q: (200, {}, rss)
        result = poll(source, SourceState(), None, now=NOW)
        assert result.snapshot is not None and result.snapshot.alerts == ()
        assert any("refused" in why for why in result.snapshot.missing.values())
        assert other.requests == []
    finally:
        other.stop()


def test_cap_source_needs_areas() -> None:
    with pytest.raises(SourceConfigError) as caught:
        checked(id="bmkg", kind="cap", url="http://127.0.0.1:9/rss.xml")
    assert caught.value.field == "options.areas"
