"""YAML import/export: exact round trip and errors with file, line and field."""

from __future__ import annotations

import pytest

from playlists.yamlio import dump_document, load_document
from signage.errors import ConfigError

TEXT = """\
items:
  - {id: pengumuman-banjir, type: image, duration_s: 10, width: 1920, height: 1080}
  - {id: jadwal-sholat, type: prayer, duration_s: 15}
  - {id: ticker-berita, type: ticker, duration_s: 30}
playlists:
  - id: pagi
    items: [pengumuman-banjir, jadwal-sholat]
rules:
  - id: pagi-hari-kerja
    playlist: pagi
    targets: {groups: [kec-mempawah-hilir]}
    preset: weekdays
    dayparts:
      - {start: 06:00, end: 10:00}
      - {start: 22:00, end: 02:00}
    valid_from: 2026-12-01T00:00:00
  - id: sholat
    item: jadwal-sholat
    layer: interrupt
    share: {percent: 5}
    targets: {all: true}
  - id: ticker
    item: ticker-berita
    layer: overlay
    zone: ticker
    targets: {tags: [outdoor]}
displays:
  - id: videotron-alun-alun
    groups: [kec-mempawah-hilir]
    tags: [outdoor]
    zones: [main, ticker]
    operating_hours:
      - {start: 05:00, end: 23:00}
"""


def test_load_unquoted_times_and_round_trip() -> None:
    doc = load_document(TEXT, "jadwal.yaml")
    assert doc.rules[0].dayparts[1].start_min == 22 * 60
    assert doc.rules[0].valid_from is not None and doc.rules[0].valid_from.year == 2026
    text = dump_document(doc)
    assert load_document(text) == doc
    assert dump_document(load_document(text)) == text


@pytest.mark.parametrize(
    ("old", "new", "field", "line"),
    [
        ("{start: 22:00, end: 02:00}", "{start: 22:00, end: 26:00}", "rules[0].dayparts[1].end", 15),
        ("share: {percent: 5}", "share: {percent: 0}", "rules[1].share.percent", 20),
        ("preset: weekdays", "rrule: FREQ=WEEKLY;BYDAY=XY", "rules[0].rrule", 12),
        ("zone: ticker", "zone: marquee", "rules[2].zone", 25),
        ("targets: {tags: [outdoor]}", "targets: {tags: [indoor]}", "rules[2].targets.tags[0]", 26),
        ("    item: jadwal-sholat\n", "    item: jadwal-azan\n", "rules[1].item", 18),
        ("items: [pengumuman-banjir, jadwal-sholat]", "items: [pengumuman-banjir, x]", "playlists[0].items[1]", 7),
    ],
)
def test_errors_name_file_line_and_field(old: str, new: str, field: str, line: int) -> None:
    assert old in TEXT
    with pytest.raises(ConfigError) as info:
        load_document(TEXT.replace(old, new, 1), "jadwal.yaml")
    err = info.value
    assert (err.path, err.key, err.line) == ("jadwal.yaml", field, line)
    assert str(err).startswith(f"jadwal.yaml:{line}: {field}: ")


def test_malformed_yaml_and_unknown_section() -> None:
    with pytest.raises(ConfigError) as info:
        load_document("rules: [\n  {id: x\n", "bad.yaml")
    assert info.value.line is not None and "malformed YAML" in str(info.value)
    with pytest.raises(ConfigError) as info:
        load_document("rulez: []\n", "bad.yaml")
    assert info.value.key == "rulez" and info.value.line == 1


def test_aliases_are_refused_at_their_line_and_an_export_writes_none() -> None:
    """The sixth review: 400 bytes of nested aliases under `exdates` took 3 GB and 29 s, then a 613 MB error."""
    laughs = "\n".join(['x0: &x0 ["2026-12-25", "2026-12-25", "2026-12-25"]']
                       + [f"x{i}: &x{i} [{', '.join([f'*x{i - 1}'] * 9)}]" for i in range(1, 5)])  # fmt: skip
    bomb = f"{laughs}\nrules:\n  - {{id: r1, item: jadwal-sholat, targets: {{all: true}}, exdates: *x4}}\n"
    with pytest.raises(ConfigError) as info:
        load_document(bomb, "bom.yaml")
    assert info.value.line == 2 and "aliases" in str(info.value) and len(str(info.value)) < 300
    # a value used twice in a document is written out twice, never as an alias, so an export loads again
    doc = load_document(TEXT.replace("targets: {tags: [outdoor]}", "targets: {groups: [kec-mempawah-hilir]}"))
    text = dump_document(doc)
    assert "&id" not in text and "*id" not in text
    assert load_document(text) == doc
