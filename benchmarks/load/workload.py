"""The mixed workload: what a virtual user asks for, and the clients that ask.

Mix per request: 40 % the patient's own schedule, 20 % nearest centers, 20 % a
center's availability over 14 days, 10 % home-visit windows over 7 days, 5 %
book a slot and cancel it, 5 % a coordinator's due or overdue list. No think
time: each virtual user sends its next request when the last one answered.
"""

from __future__ import annotations

import random
import re
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import date, timedelta

import requests

from benchmarks.load import settings
from booking import demo

MIX = (
    ("schedule", 40),
    ("nearest", 20),
    ("center_14d", 20),
    ("home_7d", 10),
    ("book_cancel", 5),
    ("coordinator", 5),
)


@dataclass
class Recorder:
    """Latencies (ms) and status codes per endpoint, shared by the client threads."""

    samples: dict[str, list[float]] = field(default_factory=lambda: defaultdict(list))
    statuses: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(lambda: defaultdict(int)))
    recording: bool = True
    lock: threading.Lock = field(default_factory=threading.Lock)

    def add(self, name: str, ms: float, status: int) -> None:
        if not self.recording:
            return
        with self.lock:
            self.samples[name].append(ms)
            self.statuses[name][status] += 1


class Client:
    """One signed-in account over a kept-alive HTTP connection."""

    def __init__(self, base: str, email: str, recorder: Recorder | None = None):
        self.base = base
        self.http = requests.Session()
        self.recorder = recorder
        answer = self.http.post(
            f"{base}/api/v1/auth/token", json={"email": email, "password": settings.PASSWORD}, timeout=30
        )
        answer.raise_for_status()
        self.http.headers["Authorization"] = f"Bearer {answer.json()['access_token']}"
        self.patient_id = self.http.get(f"{base}/api/v1/auth/me", timeout=30).json().get("patient_id")

    def call(self, name: str, method: str, path: str, **kwargs) -> requests.Response:
        started = time.perf_counter()
        try:
            response = self.http.request(method, f"{self.base}{path}", timeout=120, **kwargs)
        except requests.RequestException:
            if self.recorder:
                self.recorder.add(name, (time.perf_counter() - started) * 1000, 599)
            raise
        if self.recorder:
            self.recorder.add(name, (time.perf_counter() - started) * 1000, response.status_code)
        return response


def sign_in_page(base: str, email: str) -> requests.Session:
    """A browser-like session signed in through the sign-in form (for the coordinator's pages)."""
    http = requests.Session()
    form = http.get(f"{base}/sign-in", timeout=30).text
    token = re.search(r'name="csrf_token" value="([^"]+)"', form)[1]
    answer = http.post(
        f"{base}/sign-in",
        data={"email": email, "password": settings.PASSWORD, "csrf_token": token},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code not in (302, 303):
        raise RuntimeError(f"sign-in answered {answer.status_code}")
    return http


class World:
    """What every virtual user needs to know: centers, ZIP codes, the days asked for."""

    def __init__(self, probe: Client):
        centers = probe.http.get(
            f"{probe.base}/api/v1/service-centers", params={"near": "10001", "limit": 50}
        )
        self.center_ids = [c["id"] for c in centers.json()]
        self.zips = [row["zip_code"] for row in demo._nyc_zips()]
        self.first = date.today() + timedelta(days=1)


class VirtualUser:
    """A patient who also, now and then, stands in for a coordinator (5 % of requests)."""

    def __init__(self, patient: Client, coordinator: Client, world: World, seed: int):
        self.patient, self.staff, self.world = patient, coordinator, world
        self.rng = random.Random(seed)
        self.openings: list[dict] = []
        self.center_id = self.rng.choice(world.center_ids)
        names, weights = zip(*MIX, strict=True)
        self._names, self._weights = names, weights

    def step(self) -> None:
        getattr(self, self.rng.choices(self._names, self._weights)[0])()

    def schedule(self) -> None:
        self.patient.call("schedule", "GET", f"/api/v1/patients/{self.patient.patient_id}/schedule")

    def nearest(self) -> None:
        self.patient.call(
            "nearest",
            "GET",
            "/api/v1/service-centers",
            params={"near": self.rng.choice(self.world.zips), "limit": 10},
        )

    def center_14d(self) -> None:
        self.center_id = self.rng.choice(self.world.center_ids)
        first = self.world.first
        answer = self.patient.call(
            "center_14d",
            "GET",
            "/api/v1/availability",
            params={
                "kind": "service_center",
                "service_center_id": self.center_id,
                "from": first.isoformat(),
                "to": (first + timedelta(days=13)).isoformat(),
            },
        )
        if answer.status_code == 200:
            self.openings = answer.json()["openings"]

    def home_7d(self) -> None:
        first = self.world.first
        self.patient.call(
            "home_7d",
            "GET",
            "/api/v1/availability",
            params={"kind": "home", "from": first.isoformat(), "to": (first + timedelta(days=6)).isoformat()},
        )

    def book_cancel(self) -> None:
        if not self.openings:
            self.center_14d()
        if not self.openings:
            return
        opening = self.rng.choice(self.openings)
        answer = self.patient.call(
            "book",
            "POST",
            "/api/v1/bookings",
            json={
                "kind": "service_center",
                "service_center_id": self.center_id,
                "starts_at": opening["starts_at"],
            },
            headers={
                "Idempotency-Key": f"load-{uuid.uuid4().hex}"
            },  # unique across runs: a replay is not a booking
        )
        if answer.status_code == 201:
            self.patient.call(
                "cancel", "POST", f"/api/v1/bookings/{answer.json()['id']}/cancel", json={"reason": ""}
            )
        else:
            self.openings = []  # taken meanwhile: ask again next time

    def coordinator(self) -> None:
        if self.rng.random() < 0.5:
            self.staff.call("due", "GET", "/api/v1/monitoring/due")
        else:
            self.staff.call("overdue", "GET", "/api/v1/monitoring/overdue")


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]
