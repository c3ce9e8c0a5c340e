"""Prayer times computed offline with the Kemenag RI parameters (adhanpy's astronomy).

Kemenag RI (Bimas Islam): Subuh at a solar depression of 20°, Isya 18°, Asr by
the Shafi'i shadow (1x), Maghrib at sunset, an *ihtiyat* (safety margin) of
+2 minutes on each prayer (-2 on sunrise), Imsak = Subuh - 10 minutes.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from adhanpy.calculation.CalculationParameters import CalculationParameters
from adhanpy.calculation.Madhab import Madhab
from adhanpy.calculation.PrayerAdjustments import PrayerAdjustments
from adhanpy.PrayerTimes import PrayerTimes

from signage.clock import zone

FAJR_ANGLE_DEG = 20.0
ISHA_ANGLE_DEG = 18.0
IHTIYAT_MIN = 2
IMSAK_BEFORE_SUBUH_MIN = 10
#: (key, name on screen)
NAMES = (("imsak", "Imsak"), ("subuh", "Subuh"), ("terbit", "Terbit"), ("dzuhur", "Dzuhur"), ("ashar", "Ashar"),
         ("maghrib", "Maghrib"), ("isya", "Isya"))  # fmt: skip


@dataclass(frozen=True)
class PrayerDay:
    """Local (aware) times of one day."""

    day: date
    imsak: datetime
    subuh: datetime
    terbit: datetime
    dzuhur: datetime
    ashar: datetime
    maghrib: datetime
    isya: datetime

    def rows(self) -> list[tuple[str, str, datetime]]:
        return [(key, name, getattr(self, key)) for key, name in NAMES]

    def next_prayer(self, now: datetime) -> str | None:
        """The key of the next of the five prayers (imsak and terbit are not prayers), or None after Isya."""
        for key in ("subuh", "dzuhur", "ashar", "maghrib", "isya"):
            if getattr(self, key) > now:
                return key
        return None


def kemenag_times(latitude: float, longitude: float, day: date, tz_name: str) -> PrayerDay:
    if not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ValueError(f"coordinates: latitude {latitude}, longitude {longitude} out of range")
    params = CalculationParameters(
        fajr_angle=FAJR_ANGLE_DEG,
        isha_angle=ISHA_ANGLE_DEG,
        adjustments=PrayerAdjustments(
            fajr=IHTIYAT_MIN,
            sunrise=-IHTIYAT_MIN,
            dhuhr=IHTIYAT_MIN,
            asr=IHTIYAT_MIN,
            maghrib=IHTIYAT_MIN,
            isha=IHTIYAT_MIN,
        ),
    )
    params.madhab = Madhab.SHAFI
    local = zone(tz_name)
    times = PrayerTimes((latitude, longitude), datetime.combine(day, time(12)), calculation_parameters=params,
                        time_zone=local)  # fmt: skip
    subuh = times.fajr.astimezone(local)
    return PrayerDay(
        day=day,
        imsak=subuh - timedelta(minutes=IMSAK_BEFORE_SUBUH_MIN),
        subuh=subuh,
        terbit=times.sunrise.astimezone(local),
        dzuhur=times.dhuhr.astimezone(local),
        ashar=times.asr.astimezone(local),
        maghrib=times.maghrib.astimezone(local),
        isya=times.isha.astimezone(local),
    )
