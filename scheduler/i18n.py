"""User-facing admin text: Bahasa Indonesia by default, English available."""

from __future__ import annotations

from collections.abc import Callable

MESSAGES: dict[str, dict[str, str]] = {
    "app_title": {"id": "Videotron Kabupaten Mempawah", "en": "Mempawah Videotron Signage"},
    "login": {"id": "Masuk", "en": "Log in"},
    "logout": {"id": "Keluar", "en": "Log out"},
    "username": {"id": "Nama pengguna", "en": "Username"},
    "password": {"id": "Kata sandi", "en": "Password"},
    "login_failed": {"id": "Nama pengguna atau kata sandi salah.", "en": "Wrong username or password."},
    "announcements": {"id": "Pengumuman", "en": "Announcements"},
    "new_announcement": {"id": "Pengumuman baru", "en": "New announcement"},
    "title": {"id": "Judul", "en": "Title"},
    "body": {"id": "Isi", "en": "Body"},
    "kind": {"id": "Jenis", "en": "Kind"},
    "status": {"id": "Status", "en": "Status"},
    "targets": {"id": "Layar tujuan", "en": "Target screens"},
    "duration_s": {"id": "Durasi (detik)", "en": "Duration (seconds)"},
    "starts_at": {"id": "Mulai (UTC, ISO)", "en": "Starts (UTC, ISO)"},
    "ends_at": {"id": "Selesai (UTC, ISO)", "en": "Ends (UTC, ISO)"},
    "save_draft": {"id": "Simpan sebagai draf", "en": "Save as draft"},
    "approve": {"id": "Setujui", "en": "Approve"},
    "approved": {"id": "disetujui", "en": "approved"},
    "draft": {"id": "draf", "en": "draft"},
    "displays": {"id": "Layar", "en": "Displays"},
    "canvas": {"id": "Kanvas", "en": "Canvas"},
    "manifest_version": {"id": "Versi manifes", "en": "Manifest version"},
    "pending_enrolments": {"id": "Layar yang menunggu pendaftaran", "en": "Screens waiting to enrol"},
    "enrol_as": {"id": "Daftarkan sebagai", "en": "Enrol as"},
    "none": {"id": "Tidak ada.", "en": "None."},
    "saved": {"id": "Tersimpan.", "en": "Saved."},
    "groups": {"id": "Grup", "en": "Groups"},
    "media_file": {"id": "Berkas gambar/video (opsional)", "en": "Image/video file (optional)"},
    "media_jobs": {"id": "Pemrosesan media", "en": "Media processing"},
    "file": {"id": "Berkas", "en": "File"},
    "job_queued": {"id": "menunggu", "en": "queued"},
    "job_running": {"id": "diproses", "en": "processing"},
    "job_done": {"id": "selesai", "en": "done"},
    "job_failed": {"id": "gagal", "en": "failed"},
    "schedule_warnings": {"id": "Peringatan jadwal", "en": "Schedule warnings"},
    "archived": {"id": "diarsipkan", "en": "archived"},
    "submitted": {"id": "diajukan", "en": "submitted"},
    "rejected": {"id": "ditolak", "en": "rejected"},
    "withdrawn": {"id": "ditarik", "en": "withdrawn"},
    "revoke": {"id": "Cabut akses", "en": "Revoke access"},
}


def translator(language: str) -> Callable[[str], str]:
    def t(key: str) -> str:
        entry = MESSAGES.get(key)
        if entry is None:
            return key
        return entry.get(language) or entry["id"]

    return t
