"""A technician's route as an iCalendar file: one event per stop (its arrival window) and the lab drop.

Calendar apps often sync to outside services, so events carry the address,
the booking number and what to collect, but never the patient's name or phone
(those are on the route page and the printed sheet).
"""

from __future__ import annotations

from datetime import datetime, timedelta

from icalendar import Calendar, Event


def _event(uid: str, summary: str, start: str, end: str, location: str | None, description: str) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("summary", summary)
    event.add("dtstart", datetime.fromisoformat(start))
    event.add("dtend", datetime.fromisoformat(end))
    event.add("dtstamp", datetime.fromisoformat(start))
    if location:
        event.add("location", location)
    event.add("description", description)
    return event


def route_calendar(route: dict) -> bytes:
    """The iCalendar bytes of a route as :func:`dispatch.shapes.route_view` shapes it."""
    calendar = Calendar()
    calendar.add("prodid", "-//labvisit//dispatch route//EN")
    calendar.add("version", "2.0")
    calendar.add("x-wr-calname", f"Route {route['date']}")
    tech = route["technician"]["id"]
    for stop in route["stops"]:
        window = stop["arrival_window"]
        collect = "\n".join(f"- {item}" for item in stop["collect"])
        calendar.add_component(
            _event(
                f"labvisit-booking-{stop['booking_id']}@dispatch",
                f"Stop {stop['position'] + 1}: {stop['kind']} visit",
                window["local_start"],
                window["local_end"],
                stop["address"],
                f"Booking {stop['booking_id']}. ETA {stop['eta'][11:16]}.\nCollect:\n{collect}",
            )
        )
    lab = route["lab_drop"]
    if lab:
        arrival = datetime.fromisoformat(lab["planned_arrival"])
        calendar.add_component(
            _event(
                f"labvisit-lab-{route['date']}-{tech}@dispatch",
                f"Drop specimens at {lab['name']}",
                arrival.isoformat(),
                (arrival + timedelta(minutes=10)).isoformat(),
                lab["address"],
                f"Cutoff {lab['cutoff']}.",
            )
        )
    return calendar.to_ical()
