"""CAP 1.2 alert feeds (OASIS Common Alerting Protocol), as BMKG publishes its nowcast warnings.

The feed is RSS: each ``<item><link>`` points at one CAP document
(``<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">``) with ``identifier``,
``sender``, ``sent``, ``status``, ``msgType`` (Alert | Update | Cancel),
``references`` and one ``<info>`` per language (``event``, ``urgency``,
``severity``, ``certainty``, ``effective``, ``expires``, ``headline``,
``description``, ``instruction``, ``<area><areaDesc>``). Namespaces are ignored
so CAP 1.1 documents read too.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

EMERGENCY_SEVERITIES = ("Extreme", "Severe")


class CapError(ValueError):
    pass


@dataclass(frozen=True)
class Alert:
    identifier: str
    sender: str
    sent: str
    status: str
    msg_type: str
    references: tuple[str, ...]
    event: str
    urgency: str
    severity: str
    certainty: str
    effective: str | None
    expires: str | None
    headline: str
    description: str
    instruction: str
    area: str
    link: str = ""

    @property
    def emergency(self) -> bool:
        """Extreme/Severe and Immediate: the emergency layer; anything else interrupts."""
        return self.severity in EMERGENCY_SEVERITIES and self.urgency == "Immediate"

    def expired(self, now: datetime) -> bool:
        return self.expires is not None and datetime.fromisoformat(self.expires) <= now

    def referenced_ids(self) -> list[str]:
        """CAP ``references``: "sender,identifier,sent" triples separated by spaces -> identifiers."""
        return [ref.split(",")[1] for ref in self.references if ref.count(",") >= 2]

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data["references"] = list(self.references)
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Alert:
        return cls(**{**data, "references": tuple(data.get("references") or ())})


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def _child(node: ET.Element, name: str) -> ET.Element | None:
    return next((c for c in node if _local(c.tag) == name), None)


def _text(node: ET.Element | None, name: str) -> str:
    found = None if node is None else _child(node, name)
    return " ".join((found.text or "").split()) if found is not None and found.text else ""


def _parse(xml_text: bytes | str, what: str) -> ET.Element:
    try:
        return ET.fromstring(xml_text)
    except ET.ParseError as exc:
        raise CapError(f"{what}: bukan XML yang sah ({exc})") from None


def parse_rss(xml_text: bytes | str) -> list[str]:
    """The CAP document links of an RSS (or Atom) feed, in feed order."""
    root = _parse(xml_text, "RSS")
    links = []
    for node in root.iter():
        if _local(node.tag) in ("item", "entry"):
            link = _text(node, "link")
            if not link:
                atom = _child(node, "link")
                link = atom.get("href", "") if atom is not None else ""
            if link:
                links.append(link)
    return links


def _instant(value: str) -> str | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value).isoformat()
    except ValueError:
        raise CapError(f"waktu CAP tidak terbaca: {value!r}") from None


def parse_cap(xml_text: bytes | str, language: str = "id", link: str = "") -> Alert:
    root = _parse(xml_text, "CAP")
    if _local(root.tag) != "alert":
        raise CapError(f"CAP: elemen akar {_local(root.tag)!r}, bukan 'alert'")
    infos = [c for c in root if _local(c.tag) == "info"]
    info = next((i for i in infos if _text(i, "language").lower().startswith(language)), infos[0] if infos else None)
    identifier = _text(root, "identifier")
    if not identifier:
        raise CapError("CAP: identifier kosong")
    areas = [] if info is None else [_text(a, "areaDesc") for a in info if _local(a.tag) == "area"]
    msg_type = _text(root, "msgType") or "Alert"
    if msg_type not in ("Alert", "Update", "Cancel", "Ack", "Error"):
        raise CapError(f"CAP {identifier}: msgType {msg_type!r} tidak dikenal")
    return Alert(
        identifier=identifier,
        sender=_text(root, "sender"),
        sent=_instant(_text(root, "sent")) or "",
        status=_text(root, "status") or "Actual",
        msg_type=msg_type,
        references=tuple(_text(root, "references").split()),
        event=_text(info, "event"),
        urgency=_text(info, "urgency"),
        severity=_text(info, "severity"),
        certainty=_text(info, "certainty"),
        effective=_instant(_text(info, "effective") or _text(info, "onset")),
        expires=_instant(_text(info, "expires")),
        headline=_text(info, "headline") or _text(info, "event"),
        description=_text(info, "description"),
        instruction=_text(info, "instruction"),
        area="; ".join(a for a in areas if a),
        link=link,
    )


def matching_groups(alert: Alert, areas: dict[str, list[str]]) -> list[str]:
    """Display groups whose area keywords (case-insensitive) appear in the alert's area or description."""
    haystack = f"{alert.area} {alert.description}".lower()
    groups: list[str] = []
    for keyword, group_ids in areas.items():
        if keyword.lower() in haystack:
            groups += [g for g in group_ids if g not in groups]
    return groups
