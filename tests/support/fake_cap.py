"""BMKG-style CAP feed for tests: an RSS index whose items link CAP 1.2 documents on the same site."""

from __future__ import annotations

from fake_sites import FakeSite


def cap_document(
    identifier: str,
    *,
    severity: str = "Severe",
    urgency: str = "Immediate",
    msg_type: str = "Alert",
    references: str = "",
    area: str = "Kalimantan Barat",
    description: str = "Hujan lebat disertai petir di Kab. Mempawah (Sungai Pinyuh, Mempawah Hilir).",
    effective: str = "2026-11-28T09:50:00+07:00",
    expires: str = "2026-11-28T12:20:00+07:00",
    status: str = "Actual",
    namespace: str = "urn:oasis:names:tc:emergency:cap:1.2",
    headline: str = "Hujan Lebat disertai Petir di Kalimantan Barat",
) -> str:
    refs = f"<references>{references}</references>" if references else ""
    info = """<info><language>{lang}</language><category>Met</category><event>{event}</event>
      <urgency>{urgency}</urgency><severity>{severity}</severity><certainty>Likely</certainty>
      <effective>{effective}</effective><expires>{expires}</expires><senderName>BMKG</senderName>
      <headline>{headline}</headline><description>{description}</description>
      <web>https://nowcasting.bmkg.go.id/infografis/CKB/x.jpg</web>
      <area><areaDesc>{area}</areaDesc>
      <polygon>0.1,108.8 0.6,108.8 0.6,109.2 0.1,109.2 0.1,108.8</polygon></area></info>"""
    texts = [
        ("en", "Thunderstorm", "Thunderstorm in West Kalimantan", "Heavy rain with lightning."),
        ("id", "Hujan Lebat dan Petir", headline, description),
    ]
    infos = "".join(info.format(lang=lang, event=event, urgency=urgency, severity=severity, effective=effective,
                                expires=expires, headline=headline, description=desc, area=area)
                    for lang, event, headline, desc in texts)  # fmt: skip
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="{namespace}"><identifier>{identifier}</identifier><sender>bmkg@bmkg.go.id</sender>
<sent>2026-11-28T09:45:00+07:00</sent><status>{status}</status><msgType>{msg_type}</msgType><scope>Public</scope>
{refs}{infos}</alert>"""


class FakeCapFeed:
    def __init__(self) -> None:
        self.site = FakeSite()
        self.documents: dict[str, str] = {}  # identifier -> CAP XML
        self.site.routes["/alerts/nowcast/id/rss.xml"] = lambda q: (200, {"Content-Type": "application/rss+xml"},
                                                                   self.rss().encode())  # fmt: skip

    @property
    def url(self) -> str:
        return self.site.url + "/alerts/nowcast/id/rss.xml"

    def publish(self, identifier: str, document: str) -> None:
        self.documents[identifier] = document
        path = f"/alerts/nowcast/id/{identifier}_alert.xml"
        self.site.routes[path] = lambda q: (200, {"Content-Type": "application/xml"}, document.encode())

    def withdraw(self, identifier: str) -> None:
        self.documents.pop(identifier, None)

    def rss(self) -> str:
        items = "".join(
            f"<item><title>Peringatan dini {i}</title><link>{self.site.url}/alerts/nowcast/id/{i}_alert.xml</link>"
            f"<pubDate>Sat, 28 Nov 2026 02:45:00 +0000</pubDate></item>"
            for i in self.documents
        )
        return f'<?xml version="1.0"?><rss version="2.0"><channel><title>Peringatan Dini</title>{items}</channel></rss>'

    def stop(self) -> None:
        self.site.stop()
