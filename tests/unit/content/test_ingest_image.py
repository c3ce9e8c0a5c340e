from __future__ import annotations

from pathlib import Path

from PIL import Image

from content.pipeline import ingest
from content.store import MediaStore
from signage.canvas import Canvas


def test_exif_orientation_is_applied(tmp_path: Path, store: MediaStore) -> None:
    photo = tmp_path / "hp.jpg"
    stored_as = Image.new("RGB", (300, 200), (0, 0, 255))
    stored_as.paste((255, 0, 0), (0, 0, 150, 200))  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 6  # display rotated 90° clockwise
    stored_as.save(photo, exif=exif, quality=95)
    result = ingest(photo, store, [Canvas(200, 300)], fit="stretch")
    with Image.open(store.path_for(result.derived[0].sha256)) as out:
        assert out.size == (200, 300)
        top = out.getpixel((100, 20))
        bottom = out.getpixel((100, 280))
    assert top[0] > 200 and top[2] < 60  # type: ignore[index]  # red now on top
    assert bottom[2] > 200  # type: ignore[index]
    assert any("EXIF" in n for n in result.notes)


def test_palette_png_and_webp_and_gif_first_frame(tmp_path: Path, store: MediaStore) -> None:
    pal = tmp_path / "pal.png"
    Image.new("RGB", (50, 50), (0, 200, 0)).convert("P").save(pal)
    webp = tmp_path / "foto.webp"
    Image.new("RGB", (50, 50), (0, 0, 200)).save(webp)
    gif = tmp_path / "still.gif"
    Image.new("RGB", (50, 50), (200, 0, 0)).save(gif)
    for path, fmt in ((pal, "PNG"), (webp, "JPEG"), (gif, "PNG")):
        result = ingest(path, store, [Canvas(400, 300)])
        assert result.kind == "image"
        with Image.open(store.path_for(result.derived[0].sha256)) as out:
            assert (out.format, out.mode, out.size) == (fmt, "RGB", (400, 300))


def test_extension_does_not_matter(tmp_path: Path, store: MediaStore) -> None:
    disguised = tmp_path / "dokumen.pdf"
    Image.new("RGB", (40, 30), (1, 2, 3)).save(disguised, "PNG")
    assert ingest(disguised, store, [Canvas(400, 300)]).original.mime == "image/png"


def test_identical_uploads_are_stored_once(tmp_path: Path, store: MediaStore) -> None:
    a, b = tmp_path / "a.png", tmp_path / "b.png"
    Image.new("RGB", (40, 30), (9, 9, 9)).save(a)
    b.write_bytes(a.read_bytes())
    first = ingest(a, store, [Canvas(400, 300)])
    count = len(list(store.iter_media()))
    second = ingest(b, store, [Canvas(400, 300)])
    assert first.shas == second.shas
    assert len(list(store.iter_media())) == count


def test_output_is_deterministic(tmp_path: Path) -> None:
    photo = tmp_path / "x.jpg"
    Image.effect_noise((300, 200), 50).convert("RGB").save(photo)
    one = ingest(photo, MediaStore(tmp_path / "s1"), [Canvas(768, 432)], fit="cover")
    two = ingest(photo, MediaStore(tmp_path / "s2"), [Canvas(768, 432)], fit="cover")
    assert one == two


def test_avif_still_and_animated_become_jpeg(tmp_path: Path, store: MediaStore) -> None:
    """AVIF (what browsers now save from the web): decoded, sized, saved as JPEG; an animated one's first frame."""
    still = tmp_path / "poster.avif"
    left_red = Image.new("RGB", (320, 240), (0, 0, 220))
    left_red.paste((220, 0, 0), (0, 0, 160, 240))
    left_red.save(still, "AVIF", quality=90)
    result = ingest(still, store, [Canvas(400, 300)], fit="stretch")
    assert (result.kind, result.original.mime) == ("image", "image/avif")
    with Image.open(store.path_for(result.derived[0].sha256)) as out:
        assert (out.format, out.size) == ("JPEG", (400, 300))
        left, right = out.convert("RGB").getpixel((50, 150)), out.convert("RGB").getpixel((350, 150))
    assert left[0] > 180 and left[2] < 60 and right[2] > 180 and right[0] < 60  # type: ignore[index]
    animated = tmp_path / "kedip.avif"
    Image.new("RGB", (64, 48), (0, 180, 0)).save(animated, "AVIF", save_all=True,
                                                 append_images=[Image.new("RGB", (64, 48), (180, 0, 0))])  # fmt: skip
    result = ingest(animated, store, [Canvas(400, 300)], fit="stretch")
    with Image.open(store.path_for(result.derived[0].sha256)) as out:
        first = out.convert("RGB").getpixel((200, 150))
    assert first[1] > 140 and first[0] < 60  # type: ignore[index]  # the first frame (green)
    assert any("animated AVIF" in w for w in result.warnings)


def test_an_invalid_exif_orientation_is_shown_as_stored_and_said_so(tmp_path: Path, store: MediaStore) -> None:
    photo = tmp_path / "aneh.jpg"
    stored_as = Image.new("RGB", (300, 200), (0, 0, 255))
    stored_as.paste((255, 0, 0), (0, 0, 150, 200))  # left half red as stored
    exif = Image.Exif()
    exif[0x0112] = 99  # no such orientation (1-8)
    stored_as.save(photo, exif=exif, quality=95)
    result = ingest(photo, store, [Canvas(300, 200)], fit="stretch")
    with Image.open(store.path_for(result.derived[0].sha256)) as out:
        left = out.getpixel((20, 100))
    assert left[0] > 200 and left[2] < 60  # type: ignore[index]  # as stored: red still on the left
    assert not any("turned upright" in n for n in result.notes)
    assert any("99" in n and "not a valid value" in n for n in result.notes)
