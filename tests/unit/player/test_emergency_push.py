"""Pushed emergencies on the player: verified, kept across a restart, shown over the manifest with the
emergency slide, handed over to the manifest with the same item id, cancelled at once; refusals logged."""

from __future__ import annotations

import json
import logging
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtGui import QImage

from player.app import PlayerApp
from player.cache import LoadedManifest
from player.emergency import EmergencyBook, overlay
from player.runner import decide
from signage.canvas import Canvas
from signage.config import PlayerConfig
from signage.emergency_message import EmergencyRefused, build_message, sign_message
from signage.manifest import parse_manifest
from signage.reason_codes import legacy_reason
from signage.signing import SigningKey, public_key_from_text

DISPLAY = "dsp-test-1"
RECEIPTS = "/api/v1/player/emergency-receipts"
RED_BAND = (213, 0, 0)  # content.slides EMERGENCY_STYLES["emergency"]


def _now() -> datetime:
    return datetime.now(UTC).replace(microsecond=0)


def _push(key: SigningKey, seq: int, *, kind: str = "emergency", item: str = "ann-9", issued: datetime | None = None,
          targets: set[str] | None = None, until: timedelta = timedelta(hours=1)) -> dict[str, Any]:  # fmt: skip
    issued = issued or _now()
    message = build_message(
        kind=kind, seq=seq, issued_at=issued, announcement_id=int(item.split("-")[1]), item_id=item,
        targets={DISPLAY} if targets is None else targets, valid_from=issued - timedelta(seconds=5),
        valid_until=issued + until, key_id=key.key_id, title="DARURAT: Banjir Rob", body="Warga pesisir waspada.",
        duration_s=15, slide={"title": "Banjir Rob", "style": "emergency", "severity": "emergency",
                              "header": "PERINGATAN DARURAT", "issuer": "Diskominfo", "issued": "Senin"},
    )  # fmt: skip
    return sign_message(message, key)


def _keys(key: SigningKey) -> dict[str, Any]:
    return {key.key_id: public_key_from_text(key.public_text)}


def _near(colour: Any, rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip((colour.red(), colour.green(), colour.blue()), rgb, strict=True))


def test_book_refuses_bad_pushes_with_a_logged_reason_and_keeps_state(tmp_path: Path, caplog) -> None:
    caplog.set_level(logging.WARNING, logger="player.emergency")
    key, stranger = SigningKey.generate(), SigningKey.generate()
    book = EmergencyBook(tmp_path, DISPLAY)
    assert book.receive(_push(key, 3), _keys(key), _now()).item_id == "ann-9"
    tampered = _push(key, 4)
    tampered["message"]["item"]["body"] = "Tidak ada apa-apa."
    cases = [
        (tampered, "signature does not verify"),
        ({"message": _push(key, 5)["message"]}, "unsigned"),
        (_push(stranger, 6), "unknown key"),
        (_push(key, 7, targets={"other-screen"}), "not for display"),
        (_push(key, 8, issued=_now() - timedelta(hours=2)), "expired"),
        (_push(key, 3, item="ann-10"), "replayed"),
    ]
    for envelope, reason in cases:
        with pytest.raises(EmergencyRefused, match=reason) as refused:
            book.receive(envelope, _keys(key), _now())
        assert any(reason in m for m in caplog.messages)  # the reason is in the log
        # the scheduler's fallback for old players reads the same code and params back from the English reason
        assert legacy_reason(refused.value.reason) == (refused.value.code, refused.value.params)
    assert set(book.messages) == {"ann-9"} and book.last_seq == 3  # nothing refused changed the book


def test_book_survives_a_restart_and_the_manifest_or_a_cancel_takes_over(tmp_path: Path) -> None:
    key = SigningKey.generate()
    issued = _now()
    EmergencyBook(tmp_path, DISPLAY).receive(_push(key, 3, issued=issued), _keys(key), _now())
    again = EmergencyBook(tmp_path, DISPLAY)
    again.load(_keys(key), _now())
    assert [m.item_id for m in again.active(_now())] == ["ann-9"] and again.last_seq == 3
    with pytest.raises(EmergencyRefused, match="replayed"):  # the sequence floor survives the restart too
        again.receive(_push(key, 3), _keys(key), _now())
    later = EmergencyBook(tmp_path, DISPLAY)
    later.load(_keys(key), _now() + timedelta(hours=2))
    assert later.active(_now() + timedelta(hours=2)) == []  # expired while off: not shown again

    old_manifest = parse_manifest(_manifest(issued - timedelta(minutes=1)))
    assert again.superseded_by(old_manifest) == [] and again.active(_now())
    assert again.superseded_by(parse_manifest(_manifest(issued))) == ["ann-9"] and not again.active(_now())

    again.receive(_push(key, 4, kind="cancel"), _keys(key), _now())
    assert again.cancelled(_now()) == {"ann-9"}


def _manifest(generated_at: datetime, emergency: bool = False) -> dict[str, Any]:
    start, end = generated_at - timedelta(hours=1), generated_at + timedelta(days=1)
    items: dict[str, Any] = {"normal": {"type": "text", "duration_s": 10, "title": "Selamat datang"}}
    timeline: list[dict[str, Any]] = [{"start": _fmt(start), "end": _fmt(end), "zone": "main", "layer": "normal",
                                       "loop": ["normal"]}]  # fmt: skip
    if emergency:
        items["ann-9"] = {"type": "text", "duration_s": 15, "title": "DARURAT: Banjir Rob"}
        timeline.append({"start": _fmt(start), "end": _fmt(end), "zone": "main", "layer": "emergency",
                         "loop": ["ann-9"]})  # fmt: skip
    return {"schema": "mempawah-signage/manifest/1", "display_id": DISPLAY, "version": 2,
            "generated_at": _fmt(generated_at), "valid_until": _fmt(end), "timezone": "Asia/Pontianak",
            "canvas": {"width": 320, "height": 180, "rotation": 0}, "layout": "full",
            "layouts": {"full": [{"id": "main", "x": 0, "y": 0, "w": 1, "h": 1, "z": 0}]}, "items": items,
            "timeline": timeline, "fallback": [], "operating_hours": [], "key_id": "k"}  # fmt: skip


def _fmt(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def test_overlay_puts_the_emergency_over_the_manifest_and_a_cancel_removes_the_manifests_own(tmp_path: Path) -> None:
    key = SigningKey.generate()
    book = EmergencyBook(tmp_path, DISPLAY)
    book.receive(_push(key, 1), _keys(key), _now())
    base = LoadedManifest(parse_manifest(_manifest(_now() - timedelta(minutes=5))), b"v2", "manifest")
    shown = overlay(base, book.active(_now()), set(), lambda _m, _c: None, display_id=DISPLAY,
                    timezone="Asia/Pontianak", canvas=Canvas(320, 180))  # fmt: skip
    assert shown is not None
    cue = decide(shown.manifest, _now())
    assert cue.layer == "emergency" and cue.item is not None and cue.item.id == "ann-9" and cue.item.type == "text"
    nothing = overlay(None, book.active(_now()), set(), lambda _m, _c: None, display_id=DISPLAY,
                      timezone="Asia/Pontianak", canvas=Canvas(320, 180))  # fmt: skip
    assert nothing is not None and decide(nothing.manifest, _now()).layer == "emergency"  # no manifest yet

    with_own = LoadedManifest(parse_manifest(_manifest(_now() - timedelta(minutes=5), emergency=True)), b"v3",
                              "manifest")  # fmt: skip
    book.receive(_push(key, 2, kind="cancel"), _keys(key), _now())
    cleared = overlay(with_own, book.active(_now()), book.cancelled(_now()), lambda _m, _c: None,
                      display_id=DISPLAY, timezone="Asia/Pontianak", canvas=Canvas(320, 180))  # fmt: skip
    assert cleared is not None and decide(cleared.manifest, _now()).item.id == "normal"  # type: ignore[union-attr]
    assert decide(with_own.manifest, _now()).layer == "emergency"  # what the cancel overrides


def test_player_shows_a_pushed_emergency_at_once_keeps_it_after_restart_and_hands_over(
    qtbot: Any, publisher: Any, helpers: Any, enrolled_dir: Path, signing_key: SigningKey
) -> None:
    now = _now()
    green = publisher.add_media(helpers.png(160, 90, ("#20c020", "#20c020")), "image/png")
    items = {"img": {"type": "image", "duration_s": 600, "title": "Hijau", "media": green}}
    window = {"start": now - timedelta(hours=1), "end": now + timedelta(days=1)}
    publisher.publish(publisher.manifest(1, items, **window))
    publisher.server.set_json("POST", RECEIPTS, {"ok": True})
    config = PlayerConfig(server_url=publisher.server.url, data_dir=str(enrolled_dir), poll_interval_s=3600,
                          fullscreen=False)  # fmt: skip

    def start() -> PlayerApp:
        app = PlayerApp(config)
        qtbot.addWidget(app.canvas)
        app.start()
        return app

    app = start()
    try:
        qtbot.waitUntil(lambda: app.runner.cue is not None and app.runner.cue.item is not None
                        and app.runner.cue.item.id == "img", timeout=10_000)  # fmt: skip
        app.events.emergencyPushed.emit(_push(signing_key, 5, issued=now))  # as the event stream delivers it
        cue = app.runner.cue
        assert cue is not None and cue.layer == "emergency" and cue.item is not None and cue.item.id == "ann-9"
        assert cue.item.type == "image" and cue.item.media is not None  # the emergency slide, rendered here
        qtbot.waitUntil(lambda: _near(_top_band(app), RED_BAND), timeout=5_000)  # the red band on screen
        qtbot.waitUntil(lambda: len(publisher.server.hits("POST", RECEIPTS)) >= 1, timeout=10_000)
        assert json.loads(publisher.server.hits("POST", RECEIPTS)[0]["body"]) == {
            "seq": 5, "outcome": "shown", "reason": ""}
        forged = _push(SigningKey.generate(), 6, issued=now, item="ann-10")
        app.events.emergencyPushed.emit(forged)
        assert app.runner.cue.item.id == "ann-9"  # type: ignore[union-attr]  # refused, nothing changed
        qtbot.waitUntil(lambda: len(publisher.server.hits("POST", RECEIPTS)) >= 2, timeout=10_000)
        refused = json.loads(publisher.server.hits("POST", RECEIPTS)[1]["body"])
        assert refused["outcome"] == "refused" and "signed by unknown key" in refused["reason"]
        assert refused["code"] == "unknown_key" and set(refused["params"]) == {"key_id"}  # staff read it translated
    finally:
        app.shutdown()

    app = start()  # restart within its validity, scheduler still without the emergency in the manifest
    try:
        cue = app.runner.cue
        assert cue is not None and cue.item is not None and cue.item.id == "ann-9" and cue.layer == "emergency"
        # the full manifest with the emergency arrives: same item id, now from the manifest
        slide = publisher.add_media(helpers.png(320, 180, ("#d50000", "#000000")), "image/png")
        items["ann-9"] = {"type": "image", "duration_s": 15, "title": "DARURAT: Banjir Rob", "media": slide}
        timeline = [{"start": _fmt(window["start"]), "end": _fmt(window["end"]), "zone": "main", "layer": "normal",
                     "loop": ["img"]},
                    {"start": _fmt(now), "end": _fmt(window["end"]), "zone": "main", "layer": "emergency",
                     "loop": ["ann-9"]}]  # fmt: skip
        manifest = publisher.manifest(2, items, timeline, **window)
        manifest["generated_at"] = _fmt(now + timedelta(seconds=1))
        publisher.publish(manifest)
        app.sync.trigger()
        qtbot.waitUntil(lambda: app.manifest is not None and app.manifest.version == 2, timeout=10_000)
        assert app.emergencies is not None and app.emergencies.messages == {}  # the manifest took over
        cue = app.runner.cue
        assert cue is not None and cue.item is not None and cue.item.id == "ann-9" and cue.layer == "emergency"
        assert cue.item.media is not None and cue.item.media.sha256 == slide["sha256"]
        # a signed cancel takes it off at once, although the manifest still carries it
        app.events.emergencyPushed.emit(_push(signing_key, 7, kind="cancel", issued=now + timedelta(seconds=2)))
        assert app.runner.cue is not None and app.runner.cue.item is not None
        assert app.runner.cue.item.id == "img"
    finally:
        app.shutdown()


def _top_band(app: PlayerApp) -> Any:
    image: QImage = app.canvas.grab().toImage()
    return image.pixelColor(image.width() // 10, max(1, image.height() // 40))
