"""A scene for the video path in a real window: run as a child process (``python video_scene.py OUT``).

The player's render stack as the app wires it (:class:`CanvasWidget`, a main
:class:`ZonePresenter` with the next clip preloaded, a ticker strip presenter
drawn over it), frameless at the top left of the screen, plays red image ->
blue video -> green video -> yellow image (``media/<colour>.png|mp4`` in OUT).
Every painted frame goes through the canvas's ``frame_probe``: its count of
black pixels (every pixel checked) and the main zone's centre colour are
logged to ``OUT/frames.jsonl``. In the middle of each item it saves a heartbeat
screenshot (:class:`player.screenshot.Screenshotter`) to ``OUT/shot-<item>.png``
and, on X, the root window (``xwd -root``) to ``OUT/root-<item>.png``.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from PIL import Image, ImageChops  # noqa: E402
from PySide6.QtCore import Qt, QTimer  # noqa: E402
from PySide6.QtGui import QImage  # noqa: E402
from PySide6.QtWidgets import QApplication  # noqa: E402

from player.render.canvas import MAIN_ZONE, CanvasWidget  # noqa: E402
from player.render.presenter import ZonePresenter  # noqa: E402
from player.runner import Cue  # noqa: E402
from player.screenshot import Screenshotter  # noqa: E402
from signage.manifest import Item, MediaRef, Zone  # noqa: E402

#: (item id, kind, seconds on screen)
SEQUENCE = [("red", "image", 1.5), ("blue", "video", 3.0), ("green", "video", 3.0), ("yellow", "image", 1.5)]
STRIP = Zone("ticker", 0.0, 0.85, 1.0, 0.15, 1)
BLACK_MAX = 24  # a pixel whose every channel is below this counts as black


def black_pixels(image: QImage) -> int:
    """How many pixels of ``image`` are black (all of them checked)."""
    rgb = image.convertToFormat(QImage.Format.Format_RGB888)
    data = bytes(rgb.constBits())[: rgb.bytesPerLine() * rgb.height()]
    picture = Image.frombuffer("RGB", (rgb.width(), rgb.height()), data, "raw", "RGB", rgb.bytesPerLine(), 1)
    red, green, blue = picture.split()
    brightest = ImageChops.lighter(ImageChops.lighter(red, green), blue)
    dark = brightest.point(lambda v: 255 if v < BLACK_MAX else 0)
    histogram = dark.histogram()
    return histogram[255]


def item_for(name: str, kind: str, seconds: float, media_dir: Path) -> Item:
    path = media_dir / f"{name}.{'mp4' if kind == 'video' else 'png'}"
    mime = "video/mp4" if kind == "video" else "image/png"
    return Item(name, kind, seconds, name, MediaRef(path.name, path.stat().st_size, mime, "x"))


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("out", type=Path)
    parser.add_argument("--size", default="800x450")
    parser.add_argument("--rotation", type=int, default=0)
    args = parser.parse_args()
    out: Path = args.out
    width, height = (int(v) for v in args.size.split("x"))
    media_dir = out / "media"
    app = QApplication([sys.argv[0]])
    now = lambda: datetime.now(UTC)  # noqa: E731
    main_presenter = ZonePresenter("main", lambda ref: media_dir / ref.sha256, now, "Asia/Pontianak")
    strip = ZonePresenter("ticker", lambda ref: media_dir / ref.sha256, now, "Asia/Pontianak", overlay=True)
    canvas = CanvasWidget(args.rotation)
    canvas.setWindowFlag(Qt.WindowType.FramelessWindowHint)
    canvas.setGeometry(0, 0, width, height)
    for presenter in (main_presenter, strip):
        presenter.changed.connect(canvas.update)
    canvas.set_zones([(MAIN_ZONE, main_presenter), (STRIP, strip)])
    ticker = Item("strip", "ticker", 60, "Berita", data={"items": ["Selamat datang di Kabupaten Mempawah"]})
    strip.show_cue(Cue("ticker", "playing", ticker, now(), now() + timedelta(seconds=60), "manifest"))
    shooter = Screenshotter(canvas, out / "shot.png", 3600)
    frames = (out / "frames.jsonl").open("w")
    state = {"item": ""}
    logical_w, logical_h = canvas.logical_size() if args.rotation else (width, height)

    def probe(image: QImage) -> None:
        cx, cy = width // 2, height // 2  # the centre of the main zone is the screen's (strip at one edge)
        if args.rotation == 0:
            cy = int(height * 0.4)
        colour = image.pixelColor(cx, cy)
        frames.write(json.dumps({"item": state["item"], "black": black_pixels(image),
                                 "centre": [colour.red(), colour.green(), colour.blue()],
                                 "own": main_presenter.video.has_frame if main_presenter.video else None}) + "\n")

    canvas.frame_probe = probe
    items = [item_for(name, kind, seconds, media_dir) for name, kind, seconds in SEQUENCE]

    def capture(name: str) -> None:
        shooter.path = out / f"shot-{name}.png"
        shooter.capture_now()
        if os.environ.get("QT_QPA_PLATFORM") == "xcb":
            from player_scenes import grab_root

            grab_root(os.environ["DISPLAY"]).save(out / f"root-{name}.png")

    def play(index: int) -> None:
        if index == len(items):
            frames.close()
            main_presenter.shutdown()
            strip.shutdown()
            app.quit()
            return
        item = items[index]
        state["item"] = item.id
        start = now()
        main_presenter.show_cue(Cue("main", "playing", item, start, start + timedelta(seconds=item.duration_s),
                                    "manifest"))
        if index + 1 < len(items):
            main_presenter.preload(Cue("main", "playing", items[index + 1]))
        QTimer.singleShot(round(item.duration_s * 600), lambda: capture(item.id))
        QTimer.singleShot(round(item.duration_s * 1000), lambda: play(index + 1))

    canvas.show()
    QTimer.singleShot(500, lambda: play(0))
    app.exec()
    print(json.dumps({"logical": [logical_w, logical_h], "paints": canvas.paint_count}))


if __name__ == "__main__":
    main()
