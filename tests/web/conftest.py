"""Fixtures for the page tests: a signed-in browser-like client that posts CSRF tokens like a form does."""

from __future__ import annotations

import re

import pytest

from tests.conftest import PASSWORD

_TOKEN = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_token(html: str) -> str:
    match = _TOKEN.search(html)
    assert match, "the page has no CSRF token"
    return match.group(1)


class Pages:
    """A test client used like a browser: it reads the CSRF token off a page before posting."""

    def __init__(self, app):
        self.client = app.test_client()

    def get(self, path: str, **kwargs):
        return self.client.get(path, **kwargs)

    def token(self, path: str = "/sign-in") -> str:
        page = self.client.get(path, follow_redirects=True)
        return csrf_token(page.get_data(as_text=True))

    def post(self, path: str, data: dict | None = None, *, token_from: str = "/", **kwargs):
        form = {"csrf_token": self.token(token_from), **(data or {})}
        return self.client.post(path, data=form, **kwargs)

    def sign_in(self, user, password: str = PASSWORD):
        response = self.post("/sign-in", {"email": user.email, "password": password}, token_from="/sign-in")
        assert response.status_code == 302, response.get_data(as_text=True)
        return response


@pytest.fixture
def pages(app):
    return Pages(app)


@pytest.fixture
def signed_in(app, world):
    """A factory: ``signed_in(role, **user_kwargs)`` gives (user, Pages) for a new user of that role."""

    def factory(role: str, **kwargs):
        user = world.user(role, **kwargs)
        client = Pages(app)
        client.sign_in(user)
        return user, client

    return factory


@pytest.fixture
def patient_pages(world, signed_in):
    """A patient with a login and a monitoring schedule, signed in: (patient_id, user, Pages)."""
    patient_id = world.patient()
    user, client = signed_in("patient", patient_id=patient_id)
    return patient_id, user, client


@pytest.fixture
def field_day(app, world):
    """Tomorrow's dispatch day in a fresh region (see ``tests/web/field_day.py``)."""
    from tests.web.field_day import FieldDay

    return FieldDay(app, world)
