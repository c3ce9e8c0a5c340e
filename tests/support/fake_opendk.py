"""OpenDK frontend API answers in their real shape (Fractal collections, as StatistikPendudukTransformer)."""

from __future__ import annotations

from typing import Any


def opendk_doc(total: Any = 5861, male: Any = 2987, female: Any = 2874) -> dict[str, Any]:
    """Shaped like OpenDK's StatistikPendudukTransformer (Fractal collection)."""
    return {"data": [{"type": "statistik-penduduk", "id": "1", "attributes": {
        "dashboard": {"total_penduduk": total, "total_lakilaki": male, "total_perempuan": female,
                      "total_disabilitas": 12, "ktp_wajib": 4143, "ktp_terpenuhi": 3704,
                      "ktp_persen_terpenuhi": "89,40"},
        "chart": {
            "penduduk": [{"year": 2026, "value_lk": 2987, "value_pr": 2874}],
            "penduduk-usia": [{"umur": "Bayi (0 - 5 tahun)", "value": 571, "color": "#09ffdc"},
                              {"umur": "Anak-anak (6 - 15 tahun)", "value": 1012, "color": "#09a8ff"},
                              {"umur": "Dewasa (16 - 59 tahun)", "value": 3644, "color": "#ff0909"},
                              {"umur": "Lansia (60 tahun ke atas)", "value": 634, "color": "#ffd709"}],
            "penduduk-pendidikan": [{"year": "2025", "SD": 1500, "SLTP": 900, "SLTA": 800, "DIPLOMA": 60,
                                     "SARJANA": 100},
                                    {"year": "2026", "SD": 1616, "SLTP": 1010, "SLTA": 1070, "DIPLOMA": 160,
                                     "SARJANA": 222}],
            "penduduk-golongan-darah": [{"blod_type": "A", "total": 20, "color": "#f97d7d"}],
            "penduduk-kawin": [{"status": "Belum kawin", "total": 2900, "color": "#d365f8"},
                               {"status": "Kawin", "total": 2700, "color": "#d365f8"}],
            "penduduk-agama": [{"religion": "Islam", "total": 4585, "color": "#dcaf1e"},
                               {"religion": "Katholik", "total": 590, "color": "#dcaf1e"}],
        }}}]}  # fmt: skip


def desa_doc() -> dict[str, Any]:
    return {"data": [{"type": "desa", "id": str(i), "attributes": {"nama": n, "nama_lengkap": f"Desa {n}"}}
                     for i, n in enumerate(["Antibar", "Sungai Bakau Kecil", "Pasir Wan Salim"])],
            "meta": {"pagination": {"total": 3}}}  # fmt: skip
