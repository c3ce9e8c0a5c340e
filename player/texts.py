"""On-screen text in Bahasa Indonesia (default) and English."""

from __future__ import annotations

TEXTS: dict[str, dict[str, str]] = {
    "id": {
        "government": "Pemerintah Kabupaten Mempawah",
        "enrol_heading": "Kode pendaftaran layar",
        "enrol_hint": "Di halaman admin, menu Layar, setujui pemutar yang menampilkan kode ini.",
        "enrol_server": "Server penjadwal: {server}",
        "enrol_pending": "Menunggu persetujuan admin…",
        "enrol_contacting": "Menghubungi server…",
        "enrol_offline": "Server tidak dapat dihubungi, mencoba lagi…",
        "enrol_approved": "Disetujui. Mengunduh konten…",
        "enrol_wrong_server": "Server ini bukan penjadwal yang ditetapkan untuk layar ini; pendaftaran ditolak.",
        "sheet_entries": "entri",
        "sheet_off": "Layar mati (di luar jam operasional)",
        "sheet_slate": "Slate bawaan (tidak ada jadwal)",
        "sheet_truncated": "Hanya {n} entri pertama yang ditampilkan.",
    },
    "en": {
        "government": "Pemerintah Kabupaten Mempawah",
        "enrol_heading": "Display enrolment code",
        "enrol_hint": "In the admin, under Layar, approve the player that shows this code.",
        "enrol_server": "Scheduler: {server}",
        "enrol_pending": "Waiting for an administrator to approve…",
        "enrol_contacting": "Contacting the server…",
        "enrol_offline": "Cannot reach the server, retrying…",
        "enrol_approved": "Approved. Downloading content…",
        "enrol_wrong_server": "This server is not the scheduler this display is pinned to; enrolment refused.",
        "sheet_entries": "entries",
        "sheet_off": "Screen off (outside operating hours)",
        "sheet_slate": "Built-in slate (nothing scheduled)",
        "sheet_truncated": "Only the first {n} entries are shown.",
    },
}


def text(language: str, key: str, **values: str) -> str:
    table = TEXTS.get(language, TEXTS["id"])
    return table.get(key, TEXTS["id"][key]).format(**values)
