"""A republish from the very inputs of the current version compiles nothing; any changed input compiles.

Real store, real keys, real files (a Service on a temporary data dir) holding a small version of the
compile benchmark's world. Compiles are counted at the engine (``playlists.compiler._compile``).
"""

from __future__ import annotations

import json
import random
import sys
from collections.abc import Iterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[3] / "benchmarks"))

from bench_compile import make_world
from tests_support import count_compiles
from world_store import write_world

from playlists.compiler import rules_targeting
from playlists.model import Rule, Targets
from scheduler.compile_share import rules_reaching_any
from scheduler.manifest_render import RenderContext
from scheduler.publish_inputs import InputDigests
from scheduler.publish_pool import RenderPool
from scheduler.schedule import display_model
from scheduler.service import Service
from signage.config import SchedulerConfig

START = datetime(2026, 11, 30, 17, 0, tzinfo=UTC)
DISPLAYS = 30


class Clock:
    def __init__(self) -> None:
        self.now = START

    def __call__(self) -> datetime:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def service(tmp_path: Path, clock: Clock) -> Iterator[Service]:
    service = Service(SchedulerConfig(data_dir=str(tmp_path / "scheduler")), clock=clock)
    displays, rules, items = make_world(DISPLAYS, 150, caps_percent=20)
    write_world(service.db, displays, rules, items)
    service.publisher.pool = RenderPool(workers=1)
    yield service
    service.close()


@pytest.fixture
def compiled(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Display ids the engine compiles (shared compiles run under a placeholder id: counted too)."""
    return count_compiles(monkeypatch)


def _all_ids(service: Service) -> list[str]:
    with service.lock:
        return [row["id"] for row in service.db.table("displays").rows]


def _versions(service: Service) -> dict[str, int]:
    with service.lock:
        rows = service.db.query("select display_id, max(version) v from manifests group by display_id")
        return {row["display_id"]: row["v"] for row in rows}


def test_a_republish_from_the_same_inputs_compiles_nothing(service: Service, compiled: list[str]) -> None:
    assert len(service.publisher.publish_all()) == DISPLAYS
    assert compiled, "the first publish compiles"
    warnings = dict(service.publisher.warnings)
    compiled.clear()
    assert service.publisher.publish_all() == []
    assert compiled == []  # the 5-minute loop: a digest per display, no compile
    assert service.publisher.warnings == warnings  # the warnings of the current versions stay


def test_the_peer_without_the_shortcut_compiles_every_display(service: Service, compiled: list[str]) -> None:
    service.publisher.publish_all()
    service.publisher.skip_unchanged_inputs = False
    compiled.clear()
    assert service.publisher.publish_all() == []  # same content: no new version either way
    assert compiled, "without the input digests every display compiles again"
    service.publisher.skip_unchanged_inputs = True  # the peer's run left what the digests knew intact
    compiled.clear()
    assert service.publisher.publish_all() == []
    assert compiled == []


def _edit_rule(service: Service, rule_id: str, change: dict[str, Any]) -> None:
    with service.lock:
        row = next(service.db.table("rules").rows_where("id = ?", [rule_id]))
        service.db.table("rules").update(rule_id, {"body": json.dumps({**json.loads(row["body"]), **change})})


def _normal_rule_reaching(service: Service, display_id: str) -> str:
    """A normal, all-day rule reaching ``display_id`` whose item (an image) its current manifest plays."""
    current = service.publisher.latest(display_id)
    assert current is not None
    items = json.loads(current.body)["manifest"]["items"]
    playing = {key for key, item in items.items() if item["type"] == "image"}  # a video lasts as its file
    with service.lock:
        display = display_model(next(service.db.table("displays").rows_where("id = ?", [display_id])))
        rules = service.publisher._snapshot([display_id]).rules
    mine = [r for r in rules_targeting(display, rules) if r.layer == "normal" and not r.dayparts and r.item in playing]
    return mine[0].id


@pytest.mark.parametrize("what", ["rule", "display", "item", "day"])
def test_each_changed_input_compiles_and_publishes_what_changed(
    service: Service, compiled: list[str], clock: Clock, what: str
) -> None:
    service.publisher.publish_all()
    before = _versions(service)
    target = "d0003"
    compiled.clear()
    if what == "rule":  # an edited schedule of a rule reaching the display
        _edit_rule(service, _normal_rule_reaching(service, target), {"dayparts": [{"start": "17:00", "end": "21:00"}]})
    elif what == "display":  # its operating hours
        with service.lock:
            service.db.table("displays").update(
                target, {"operating_hours": json.dumps([{"start": "06:00", "end": "22:00"}])}
            )
    elif what == "item":  # an announcement's duration (the item's slot)
        rule_id = _normal_rule_reaching(service, target)
        with service.lock:
            service.db.table("announcements").update(int(rule_id.split("-")[1]), {"duration_s": 17.0})
    else:  # the next local day: the horizon moves
        clock.now += timedelta(days=1)
    published = {p.display_id for p in service.publisher.publish_all()}
    assert target in published
    assert compiled, f"a changed {what} must compile"
    after = _versions(service)
    assert after[target] == before[target] + 1
    if what == "day":
        assert published == set(before)  # every horizon moved
    else:
        assert len(published) < DISPLAYS  # displays the change does not reach keep their version, uncompiled


def test_a_restarted_publisher_compiles_once_then_not_again(service: Service, compiled: list[str]) -> None:
    service.publisher.publish_all()
    fresh = type(service.publisher)(
        service.db, service.keyring, service.media, service.publisher.manifests_dir, service.publisher.clock,
        db_lock=service.lock, pool=RenderPool(workers=1),
    )  # fmt: skip
    compiled.clear()
    assert fresh.publish_all() == []
    assert compiled, "nothing in memory after a restart: the first publish compiles (warnings are rebuilt)"
    compiled.clear()
    assert fresh.publish_all() == []
    assert compiled == []
    fresh.close()


def test_a_stored_rule_turning_invalid_is_not_hidden_by_the_shortcut(service: Service, compiled: list[str]) -> None:
    service.publisher.publish_all()
    rule_id = _normal_rule_reaching(service, "d0003")
    with service.lock:
        service.db.table("rules").update(rule_id, {"body": "{not json"})
    compiled.clear()
    service.publisher.publish_all()
    codes = {w["code"] for w in service.publisher.warnings["d0003"]}
    assert "rule_invalid" in codes  # the display's render ran and was refused, naming the rule


def test_the_index_reaches_exactly_the_rules_targeting_each_display() -> None:
    displays, rules, _items = make_world(60, 400, seed=5)
    rnd = random.Random(3)
    for _ in range(40):  # rules by id, tag, group and all, in every mix
        rules.append(replace_targets(rules[rnd.randrange(len(rules))], rnd, [d.id for d in displays]))
    ctx = RenderContext(
        rules=rules, refused=[], playlists=[], now=START, horizon_days=14, compile_budget_s=None, key_pem=b"",
        key_id="k", introductions=[], static_tree=False,
    )  # fmt: skip
    digests = InputDigests(ctx)
    for display in displays:
        assert [rules[p] for p in digests._positions(display)] == rules_targeting(display, rules)
    some = displays[:7]
    assert {r.id for r in rules_reaching_any(rules, some)} == {r.id for d in some for r in rules_targeting(d, rules)}


def replace_targets(rule: Rule, rnd: random.Random, display_ids: list[str]) -> Rule:
    """A copy of ``rule`` under a new id, addressing everyone, a tag, a display and a group, or nobody known."""
    roll = rnd.random()
    if roll < 0.25:
        targets = Targets(all=True)
    elif roll < 0.5:
        targets = Targets(tags=("highway",))
    elif roll < 0.75:
        targets = Targets(displays=(rnd.choice(display_ids),), groups=("outdoor-led",))
    else:
        targets = Targets(groups=("no-such-group",), tags=("town",))
    return replace(rule, id=f"{rule.id}-x{rnd.randrange(10**6)}", targets=targets)
