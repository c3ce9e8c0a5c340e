"""A plausible Mempawah village's statistics (made-up figures) for the loopback fake and the demo."""

from __future__ import annotations

from typing import Any

#: slug -> (title, rows of (name, male, female), BELUM MENGISI (male, female))
VILLAGE: dict[str, tuple[str, list[tuple[str, int, int]], tuple[int, int]]] = {
    "jenis-kelamin": ("Jenis Kelamin", [("LAKI-LAKI", 2987, 0), ("PEREMPUAN", 0, 2874)], (0, 0)),
    "rentang-umur": (
        "Rentang Umur",
        [
            ("0 s/d 4 Tahun", 241, 230),
            ("5 s/d 9 Tahun", 262, 251),
            ("10 s/d 14 Tahun", 255, 244),
            ("15 s/d 19 Tahun", 248, 239),
            ("20 s/d 24 Tahun", 251, 213),
            ("25 s/d 29 Tahun", 244, 207),
            ("30 s/d 34 Tahun", 221, 214),
            ("35 s/d 39 Tahun", 212, 206),
            ("40 s/d 44 Tahun", 198, 193),
            ("45 s/d 49 Tahun", 183, 178),
            ("50 s/d 54 Tahun", 165, 160),
            ("55 s/d 59 Tahun", 142, 139),
            ("60 s/d 64 Tahun", 118, 117),
            ("65 s/d 69 Tahun", 91, 93),
            ("70 s/d 74 Tahun", 64, 69),
            ("Di atas 75 Tahun", 92, 121),
        ],
        (0, 0),
    ),
    "pendidikan-dalam-kk": (
        "Pendidikan dalam KK",
        [
            ("TIDAK / BELUM SEKOLAH", 512, 498),
            ("BELUM TAMAT SD/SEDERAJAT", 388, 371),
            ("TAMAT SD / SEDERAJAT", 804, 812),
            ("SLTP/SEDERAJAT", 521, 489),
            ("SLTA / SEDERAJAT", 562, 508),
            ("DIPLOMA I / II", 31, 42),
            ("AKADEMI/ DIPLOMA III/S. MUDA", 38, 49),
            ("DIPLOMA IV/ STRATA I", 112, 95),
            ("STRATA II", 9, 5),
            ("STRATA III", 1, 0),
        ],
        (9, 5),
    ),
    "pekerjaan": (
        "Pekerjaan",
        [
            ("BELUM/TIDAK BEKERJA", 667, 619),
            ("MENGURUS RUMAH TANGGA", 3, 1088),
            ("PELAJAR/MAHASISWA", 598, 571),
            ("PETANI/PEKEBUN", 847, 198),
            ("NELAYAN/PERIKANAN", 341, 12),
            ("WIRASWASTA", 241, 176),
            ("KARYAWAN SWASTA", 132, 61),
            ("PEDAGANG", 58, 71),
            ("PEGAWAI NEGERI SIPIL (PNS)", 37, 42),
            ("BURUH HARIAN LEPAS", 44, 9),
            ("GURU", 11, 27),
            ("TENTARA NASIONAL INDONESIA (TNI)", 6, 0),
            ("KEPOLISIAN RI (POLRI)", 2, 0),
        ],
        (0, 0),
    ),
    "agama": (
        "Agama",
        [
            ("ISLAM", 2331, 2254),
            ("KRISTEN", 214, 207),
            ("KATHOLIK", 301, 289),
            ("HINDU", 0, 0),
            ("BUDHA", 118, 101),
            ("KHONGHUCU", 23, 23),
            ("Kepercayaan Terhadap Tuhan YME / Lainnya", 0, 0),
        ],
        (0, 0),
    ),
    "kepemilikan-ktp": ("Kepemilikan KTP", [("BELUM REKAM", 231, 208), ("SUDAH REKAM", 1893, 1811)], (0, 0)),
    # recipients per programme (a person may be counted once per programme; only recipients are counted)
    "bantuan-penduduk": (
        "Penerima Bantuan",
        [
            ("PKH", 152, 187),
            ("BPNT / Sembako", 211, 236),
            ("BLT Dana Desa", 58, 71),
            ("PBI JKN (KIS)", 604, 655),
            ("Program Indonesia Pintar", 97, 91),
        ],
        (0, 0),
    ),
}
#: Distinct bantuan recipients (male, female): fewer than the programme rows add up to, since people overlap.
#: OpenSID's bantuan page counts everyone else as BUKAN PENERIMA and gives the whole population as TOTAL.
BANTUAN_RECIPIENTS: tuple[int, int] = (1003, 1104)
#: dusun -> (KK, male, female); sums match ``jenis-kelamin``.
WILAYAH: list[tuple[str, int, int, int]] = [
    ("Dusun Sungai Bakau", 512, 901, 872),
    ("Dusun Parit Baru", 398, 744, 716),
    ("Dusun Kuala Secapah", 361, 703, 671),
    ("Dusun Pasir Panjang", 317, 639, 615),
]


def opensid_rows(
    rows: list[tuple[str, int, int]],
    unfilled: tuple[int, int],
    *,
    strings: bool = True,
    totals: tuple[int, int] | None = None,
    unfilled_name: str = "BELUM MENGISI",
) -> list[dict[str, Any]]:
    """Rows shaped like OpenSID's (``id``/``nama``/``jumlah``/``laki``/``perempuan``, 777 and 888 summary rows).

    ``totals`` (male, female) overrides the TOTAL row (bantuan: the population, not the sum of the rows).
    """
    total_l = sum(r[1] for r in rows) + unfilled[0]
    total_p = sum(r[2] for r in rows) + unfilled[1]
    if totals is not None:
        total_l, total_p = totals
    total = total_l + total_p

    def pct(n: int) -> str:
        return f"{(100 * n / total if total else 0):.2f}".replace(".", ",") + "%"

    def num(n: int) -> str | int:
        return str(n) if strings else n

    out: list[dict[str, Any]] = []
    for i, (name, male, female) in enumerate(rows):
        out.append({"id": num(i + 1), "nama": name, "jumlah": num(male + female), "laki": num(male),
                    "perempuan": num(female), "no": i + 1, "persen": pct(male + female), "persen1": pct(male),
                    "persen2": pct(female)})  # fmt: skip
    out.append({"no": "", "id": 777, "nama": unfilled_name, "jumlah": sum(unfilled), "perempuan": unfilled[1],
                "laki": unfilled[0], "persen": pct(sum(unfilled)), "persen1": pct(unfilled[0]),
                "persen2": pct(unfilled[1])})  # fmt: skip
    out.append({"jumlah": num(total), "laki": num(total_l), "perempuan": num(total_p), "no": "", "id": 888,
                "nama": "TOTAL", "persen": "100,00%", "persen1": pct(total_l), "persen2": pct(total_p)})  # fmt: skip
    return out
