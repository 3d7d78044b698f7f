"""Locust users for the load stage (``bench.load`` runs this headless, on 127.0.0.1 only).

The plan (paths, and logged-in session cookies per role) comes from the JSON file named by
``BENCH_LOAD_PLAN``, written by ``bench.load``: the users never log in through the form (the
lockout would see a burst of logins as an attack) and every virtual user has its own session.

Therapists, front desk and a manager work as they do in a clinic: a request, then a pause
(``between(0.5, 1.5)`` s). Each request must answer 200 itself (redirects are not followed:
a redirect to the login page would otherwise count as a success).
"""

from __future__ import annotations

import itertools
import json
import os
from urllib.parse import urlsplit

from locust import HttpUser, between, task

PLAN = json.loads(open(os.environ["BENCH_LOAD_PLAN"]).read())  # noqa: SIM115 - read once
HOST = urlsplit(PLAN["host"]).hostname
if HOST != "127.0.0.1":  # the load stage never drives anything but the local server
    raise RuntimeError(f"refusing to load {PLAN['host']}: only 127.0.0.1")
COOKIES = {role: itertools.cycle(keys) for role, keys in PLAN["sessions"].items()}


class _Staff(HttpUser):
    abstract = True
    role = ""
    wait_time = between(0.5, 1.5)

    def on_start(self) -> None:
        self.cookie = f"{PLAN['cookie_name']}={next(COOKIES[self.role])}"

    def get(self, name: str) -> None:
        with self.client.get(
            PLAN["paths"][name],
            name=name,
            headers={"Cookie": self.cookie},
            allow_redirects=False,
            catch_response=True,
        ) as response:
            if response.status_code != 200:
                response.failure(f"status {response.status_code}")


class Therapist(_Staff):
    weight = 3
    role = "therapist"

    @task(3)
    def search(self):
        self.get("patient search by name prefix")

    @task(3)
    def patient(self):
        self.get("patient page, 200 sessions")

    @task(2)
    def calendar(self):
        self.get("calendar day, busiest location")

    @task(3)
    def panel(self):
        self.get("plan live screening panel")

    @task(1)
    def floor(self):
        self.get("floor: password_change_done")


class FrontDesk(_Staff):
    weight = 2
    role = "front_desk"

    @task(3)
    def search(self):
        self.get("patient search by name prefix")

    @task(3)
    def calendar(self):
        self.get("calendar day, busiest location")

    @task(1)
    def floor(self):
        self.get("floor: password_change_done")


class Manager(_Staff):
    weight = 1
    role = "manager"

    @task(2)
    def report(self):
        self.get("report activity, one year")

    @task(1)
    def floor(self):
        self.get("floor: password_change_done")
