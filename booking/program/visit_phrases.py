"""How a visit is put into words in a message: when, where, how to prepare, what it costs.

Times are wall-clock times of the visit's own zone, in the patient's
language: "tomorrow, 9-11 AM" / "mañana, 9-11 a. m.". Today and tomorrow are
said as such relative to the day the message goes out (in the visit's zone);
other days by name. Hyphens, not dashes, so an SMS stays in the GSM alphabet.

Plain functions over plain data: no Flask, no database.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

_WEEKDAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "es": ("lunes", "martes", "miércoles", "jueves", "viernes", "sábado", "domingo"),
}
_MONTHS = {
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
    "es": (
        "enero",
        "febrero",
        "marzo",
        "abril",
        "mayo",
        "junio",
        "julio",
        "agosto",
        "septiembre",
        "octubre",
        "noviembre",
        "diciembre",
    ),
}
_RELATIVE = {"en": ("today", "tomorrow"), "es": ("hoy", "mañana")}
_MERIDIEM = {"en": ("AM", "PM"), "es": ("a. m.", "p. m.")}

_PLACES = {
    "home": {"en": "your home", "es": "su casa"},
    "office": {"en": "your office", "es": "su oficina"},
    "provider": {"en": "your provider's office", "es": "el consultorio de su proveedor"},
}
_PREPARATION = {
    "en": "Bring a photo ID. No fasting is needed; drinking water beforehand helps.",
    "es": "Traiga una identificación con foto. No necesita ayunar; beber agua antes ayuda.",
}
_BE_THERE = {
    "en": "Please be there for the whole arrival window. ",
    "es": "Esté presente durante toda la franja de llegada. ",
}
_COST = {
    "lab": {"en": "none", "es": "ninguno"},
    "provider": {
        "en": "none for the lab work; your provider's office may charge a co-pay for the visit",
        "es": "ninguno por el análisis; el consultorio de su proveedor puede cobrar un copago por la visita",
    },
}
_COPAY_SENTENCE = {
    "en": "The lab work is free; the office may charge a co-pay for the visit.",
    "es": "El análisis es gratuito; el consultorio puede cobrar un copago por la visita.",
}


def _language(language: str) -> str:
    return language if language in _WEEKDAYS else "en"


def clock(instant: datetime, zone: ZoneInfo, language: str, *, meridiem: bool = True) -> str:
    """ "9 AM", "9:30 AM" (or without the AM/PM when ``meridiem`` is false) in ``zone``."""
    local = instant.astimezone(zone)
    hour = local.hour % 12 or 12
    text = f"{hour}" if local.minute == 0 else f"{hour}:{local.minute:02d}"
    if meridiem:
        text += " " + _MERIDIEM[_language(language)][local.hour >= 12]
    return text


def time_range(start: datetime, end: datetime | None, zone: ZoneInfo, language: str) -> str:
    """ "9-11 AM", "11 AM-1 PM", or the start alone when there is no end: "9:15 AM"."""
    if end is None:
        return clock(start, zone, language)
    same_half = (start.astimezone(zone).hour >= 12) == (end.astimezone(zone).hour >= 12)
    return f"{clock(start, zone, language, meridiem=not same_half)}-{clock(end, zone, language)}"


def day_name(day: date, language: str) -> str:
    """ "Thursday, December 3" / "jueves 3 de diciembre"."""
    language = _language(language)
    weekday, month = _WEEKDAYS[language][day.weekday()], _MONTHS[language][day.month - 1]
    if language == "es":
        return f"{weekday} {day.day} de {month}"
    return f"{weekday}, {month} {day.day}"


def month_name(month: date, language: str) -> str:
    """ "December 2026" / "diciembre de 2026"."""
    language = _language(language)
    name = _MONTHS[language][month.month - 1]
    return f"{name} de {month.year}" if language == "es" else f"{name} {month.year}"


def when(
    start: datetime,
    end: datetime | None,
    time_zone: str,
    language: str,
    sent_on: datetime | None = None,
) -> str:
    """The visit's day and time in its zone; "today"/"tomorrow" relative to ``sent_on`` when given."""
    zone = ZoneInfo(time_zone)
    language = _language(language)
    day = start.astimezone(zone).date()
    label = day_name(day, language)
    if sent_on is not None:
        offset = (day - sent_on.astimezone(zone).date()).days
        if offset in (0, 1):
            label = _RELATIVE[language][offset]
    return f"{label}, {time_range(start, end, zone, language)}"


def place(kind: str, language: str, center: str | None = None) -> str:
    """Where the visit is: the service center's name and address, else "your home" and the like."""
    if kind == "service_center" and center:
        return center
    return _PLACES.get(kind, _PLACES["provider"])[_language(language)]


def preparation(kind: str, language: str) -> str:
    language = _language(language)
    prefix = _BE_THERE[language] if kind in ("home", "office") else ""
    return prefix + _PREPARATION[language]


def cost(kind: str, language: str) -> str:
    """What the patient pays: nothing for lab work; a possible co-pay at the provider's office."""
    return _COST["provider" if kind == "provider" else "lab"][_language(language)]


def copay_sentence(language: str) -> str:
    return _COPAY_SENTENCE[_language(language)]
