"""Signing in and out of the pages: CSRF, cookie flags, session rotation, redirects, and the API left alone."""

from __future__ import annotations

from tests.conftest import PASSWORD


def test_root_sends_a_stranger_to_the_sign_in_page(pages):
    """/ is the sign-in page for nobody signed in, and that page labels both fields."""
    response = pages.get("/")
    assert response.status_code == 302 and response.location.endswith("/sign-in")
    html = pages.get("/sign-in").get_data(as_text=True)
    assert '<label for="email">' in html and '<label for="password">' in html


def test_sign_in_without_a_csrf_token_is_refused(world, pages):
    """A sign-in form posted without its token is a 400 page, and nobody is signed in."""
    user = world.user("patient", patient_id=world.patient())
    response = pages.client.post("/sign-in", data={"email": user.email, "password": PASSWORD})
    assert response.status_code == 400
    assert "form has expired" in response.get_data(as_text=True)
    assert pages.get("/").location.endswith("/sign-in")


def test_a_wrong_password_says_so_and_keeps_the_email(world, pages):
    """One message for a wrong e-mail or password; the e-mail stays filled in."""
    user = world.user("coordinator")
    response = pages.post(
        "/sign-in", {"email": user.email, "password": "wrong-password"}, token_from="/sign-in"
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 401
    assert "E-mail or password is wrong." in html and f'value="{user.email}"' in html


def test_empty_fields_get_their_message_next_to_them(pages):
    """Each empty field is marked invalid and described by its own message."""
    response = pages.post("/sign-in", {"email": "", "password": ""}, token_from="/sign-in")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'id="email-error"' in html and "Enter your e-mail address." in html
    assert 'id="password-error"' in html and "Enter your password." in html
    assert 'aria-describedby="email-error"' in html and 'aria-invalid="true"' in html


def test_sign_in_sets_an_httponly_lax_cookie_and_goes_to_the_role_home(world, pages):
    """The session cookie is HttpOnly and SameSite=Lax; each role lands on its own page."""
    user = world.user("coordinator")
    response = pages.sign_in(user)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert response.location.endswith("/coordinator")


def test_secure_cookie_flag_follows_the_config(app, world):
    """With SESSION_COOKIE_SECURE on (production), the session cookie is marked Secure."""
    user = world.user("coordinator")
    app.config["SESSION_COOKIE_SECURE"] = True
    try:
        client = app.test_client()
        page = client.get("/sign-in", base_url="https://localhost").get_data(as_text=True)
        from tests.web.conftest import csrf_token

        response = client.post(
            "/sign-in",
            base_url="https://localhost",
            headers={"Referer": "https://localhost/sign-in"},
            data={"csrf_token": csrf_token(page), "email": user.email, "password": PASSWORD},
        )
        assert response.status_code == 302
        assert "Secure" in response.headers["Set-Cookie"]
    finally:
        app.config["SESSION_COOKIE_SECURE"] = False


def test_sign_in_starts_a_fresh_session(world, pages):
    """Whatever the session held before sign-in is gone after it (no session fixation)."""
    user = world.user("coordinator")
    with pages.client.session_transaction() as session:
        session["planted"] = "by someone else"
    pages.sign_in(user)
    with pages.client.session_transaction() as session:
        assert "planted" not in session and session["user_id"] == user.id


def test_sign_out_ends_the_session(world, signed_in):
    """After sign-out the pages ask to sign in again; sign-out itself needs the CSRF token."""
    _, client = signed_in("coordinator")
    assert client.client.post("/sign-out").status_code == 400
    assert client.get("/coordinator").status_code == 200
    response = client.post("/sign-out", token_from="/coordinator")
    assert response.status_code == 302
    after = client.get("/coordinator")
    assert after.status_code == 302 and "/sign-in?next=/coordinator" in after.location


def test_sign_in_returns_to_the_page_asked_for_but_never_off_site(world, pages):
    """``next`` is followed when it is a local path and ignored otherwise."""
    user = world.user("coordinator")
    token = pages.token("/sign-in")
    form = {"csrf_token": token, "email": user.email, "password": PASSWORD}
    local = pages.client.post("/sign-in?next=/coordinator?q=x", data=form)
    assert local.location.endswith("/coordinator?q=x")
    pages.client.post("/sign-out", data={"csrf_token": pages.token("/coordinator")})
    form["csrf_token"] = pages.token("/sign-in")
    away = pages.client.post("/sign-in?next=//evil.example/x", data=form)
    assert away.location.endswith("/coordinator") and "evil" not in away.location


def test_an_inactive_account_cannot_sign_in(app, world, pages):
    """A deactivated user gets the same wrong-credentials answer."""
    from booking.extensions import db
    from booking.models import User

    user = world.user("technician")
    with app.app_context():
        db.session.get(User, user.id).is_active = False
        db.session.commit()
    response = pages.post("/sign-in", {"email": user.email, "password": PASSWORD}, token_from="/sign-in")
    assert response.status_code == 401


def test_the_session_cookie_does_not_authenticate_the_api(world, signed_in):
    """A browser session is not an API credential: /api still asks for a bearer token."""
    _, client = signed_in("coordinator")
    assert client.get("/api/v1/auth/me").status_code == 401


def test_the_api_needs_no_csrf_token(world, client):
    """JSON API posts are not CSRF-checked (they carry bearer tokens, not cookies)."""
    user = world.user("coordinator")
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": PASSWORD})
    assert response.status_code == 200


def test_pages_send_a_strict_content_security_policy(pages):
    """No inline script and no third-party origin may run on the pages."""
    policy = pages.get("/sign-in").headers["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "unsafe-inline" not in policy


def test_sign_in_page_is_rate_limited(app, world):
    """After the configured attempts for one e-mail the sign-in form answers 429, as a page."""
    client = app.test_client()
    user = world.user("patient")
    page = client.get("/sign-in")
    token = page.get_data(as_text=True).split('name="csrf_token" value="')[1].split('"')[0]
    statuses = [
        client.post(
            "/sign-in", data={"email": user.email, "password": "wrong guess", "csrf_token": token}
        ).status_code
        for _ in range(11)
    ]
    assert statuses[:10] == [401] * 10 and statuses[10] == 429


def test_unknown_page_is_html_and_unknown_api_path_is_problem_json(client):
    """People get an HTML 404 page; API clients get problem+json."""
    page = client.get("/no-such-page")
    assert page.status_code == 404 and page.content_type.startswith("text/html")
    api = client.get("/api/v1/no-such-thing")
    assert api.status_code == 404 and api.content_type == "application/problem+json"
