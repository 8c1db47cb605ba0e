"""SQL statements and time per request of each workload endpoint, in-process, on the seeded database.

    python -m benchmarks.load.queries [--database-url postgresql://postgres@127.0.0.1:5432/perfload]

Finds N+1s and repeated queries: a request whose statement count grows with
the data is the first thing to fix. Uses the Flask test client (no network, no
gunicorn), signed in as the seeded accounts.
"""

from __future__ import annotations

import argparse
import re
import statistics
import time
from datetime import date, timedelta

from sqlalchemy import event

from benchmarks.load import settings
from booking import create_app
from booking.extensions import db
from booking.geocoding import prepare
from booking.models import Booking, User


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--database-url", default=settings.DATABASE_URL)
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    app = create_app(settings.app_config(args.database_url))
    app.config["SESSION_COOKIE_SECURE"] = False
    app.config["WTF_CSRF_ENABLED"] = False
    prepare(app.config)
    statements = []
    with app.app_context():
        event.listen(db.engine, "before_cursor_execute", lambda *a: statements.append(a[2]))
        patient = db.session.scalar(db.select(User).where(User.email == settings.patient_email(0)))
        region_day = db.session.execute(
            db.select(Booking.region_id, Booking.starts_at).where(Booking.region_id.is_not(None)).limit(1)
        ).first()
    client = app.test_client()
    token = client.post(
        "/api/v1/auth/token", json={"email": settings.patient_email(0), "password": settings.PASSWORD}
    ).json["access_token"]
    staff = client.post(
        "/api/v1/auth/token", json={"email": settings.coordinator_email(0), "password": settings.PASSWORD}
    ).json["access_token"]
    pages = app.test_client()
    pages.post("/sign-in", data={"email": settings.coordinator_email(0), "password": settings.PASSWORD})
    first = (date.today() + timedelta(days=1)).isoformat()
    to14 = (date.today() + timedelta(days=14)).isoformat()
    to7 = (date.today() + timedelta(days=7)).isoformat()
    day = region_day[1].date().isoformat() if region_day else first
    rid = region_day[0] if region_day else 1
    patient_h = {"Authorization": f"Bearer {token}"}
    staff_h = {"Authorization": f"Bearer {staff}"}
    calls = {
        "schedule": (client, f"/api/v1/patients/{patient.patient_id}/schedule", patient_h),
        "nearest": (client, "/api/v1/service-centers?near=10001&limit=10", patient_h),
        "center_14d": (
            client,
            f"/api/v1/availability?kind=service_center&service_center_id=1&from={first}&to={to14}",
            patient_h,
        ),
        "home_7d": (client, f"/api/v1/availability?kind=home&from={first}&to={to7}", patient_h),
        "due": (client, "/api/v1/monitoring/due", staff_h),
        "overdue": (client, "/api/v1/monitoring/overdue", staff_h),
        "worklist": (client, "/api/v1/outreach/worklist", staff_h),
        "coord_page": (pages, "/coordinator", {}),
        "day_board": (pages, f"/coordinator/regions/{rid}/days/{day}", {}),
    }
    print(f"{'endpoint':<12}{'status':>7}{'queries':>9}{'median ms':>11}  most repeated statement")
    for name, (http, path, headers) in calls.items():
        http.get(path, headers=headers)
        times = []
        for _ in range(args.runs):
            statements.clear()
            started = time.perf_counter()
            status = http.get(path, headers=headers).status_code
            times.append((time.perf_counter() - started) * 1000)
        shapes: dict[str, int] = {}
        for sql in statements:
            shape = re.sub(r"\s+", " ", sql)[:70]
            shapes[shape] = shapes.get(shape, 0) + 1
        worst = max(shapes.items(), key=lambda kv: kv[1], default=("", 0))
        print(
            f"{name:<12}{status:>7}{len(statements):>9}{statistics.median(times):>11.1f}  {worst[1]}x {worst[0]}"
        )


if __name__ == "__main__":
    main()
