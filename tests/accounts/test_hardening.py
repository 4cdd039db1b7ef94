"""Issue 14's account defects, each through HTTP: sessions that outlive sign-out, sign-in limits
per account, and `next` carrying CR/LF (the timing leaks: test_timing.py)."""
from sqlalchemy import select

from app.accounts.models import User
from tests.conftest import csrf_token_from, sign_in_as

def test_sign_out_ends_a_copied_session_cookie(app, shopper_account):
    browser = app.test_client()
    assert sign_in_as(browser, *shopper_account).status_code == 303
    copied = browser.get_cookie("session").value
    thief = app.test_client()
    thief.set_cookie("session", copied)
    assert thief.get("/account").status_code == 200  # the copy works while the owner is signed in
    token = csrf_token_from(browser.get("/account").get_data(as_text=True))
    assert browser.post("/account/sign-out", data={"csrf_token": token}).status_code == 303
    assert thief.get("/account").status_code == 302  # sent to sign in


def test_password_change_ends_every_other_session(app, session, shopper_account):
    from app.accounts.services import find_user, reset_token

    elsewhere = app.test_client()
    sign_in_as(elsewhere, *shopper_account)
    assert elsewhere.get("/account").status_code == 200
    user = find_user(session, email=shopper_account[0])
    client = app.test_client()
    path = f"/account/reset/{reset_token(user)}"
    token = csrf_token_from(client.get(path).get_data(as_text=True))
    response = client.post(path, data={"csrf_token": token, "password": "a-new-password-9",
                                       "confirm": "a-new-password-9"})
    assert response.status_code == 303
    assert client.get("/account").status_code == 200  # the one that changed it stays signed in
    assert elsewhere.get("/account").status_code == 302


def test_admin_signs_a_staff_member_out_everywhere(app, sign_in, session):
    marketing = sign_in("marketing")
    assert marketing.get("/admin/").status_code == 200
    admin = sign_in("admin")
    user = session.scalars(select(User).where(User.email == "marketing@tidewater.example")).one()
    token = csrf_token_from(admin.get(f"/admin/staff/{user.id}").get_data(as_text=True))
    response = admin.post(f"/admin/staff/{user.id}/sign-out", data={"csrf_token": token})
    assert response.status_code == 303
    assert marketing.get("/admin/").status_code == 302
    assert admin.get("/admin/").status_code == 200


def test_sign_in_limit_per_account_holds_across_client_addresses(migrated_database, shopper_account):
    from app import create_app
    from tests.conftest import make_config

    proxied = create_app(make_config(migrated_database, TRUSTED_PROXY_COUNT=1))
    email, password = shopper_account
    statuses = []
    for attempt in range(12):  # a new address for each try, as a spread-out attack would
        client = proxied.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"198.51.100.{attempt + 1}"
        statuses.append(sign_in_as(client, email, "wrong-password").status_code)
    assert 429 in statuses and statuses[0] == 200
    client = proxied.test_client()
    client.environ_base["HTTP_X_FORWARDED_FOR"] = "198.51.100.99"
    locked = sign_in_as(client, email, password)  # even the right password waits
    assert locked.status_code == 429
    # The same words for an email with no account: the lock-out tells nobody who is a customer.
    for attempt in range(12):
        client = proxied.test_client()
        client.environ_base["HTTP_X_FORWARDED_FOR"] = f"192.0.2.{attempt + 1}"
        nobody = sign_in_as(client, "nobody-here@example.com", "wrong-password")
    assert nobody.status_code == 429
    message = "Too many attempts to sign in with those details"
    assert message in locked.get_data(as_text=True) and message in nobody.get_data(as_text=True)


def test_sign_in_next_with_cr_lf_is_not_followed(app, shopper_account):
    client = app.test_client()
    token = csrf_token_from(client.get("/account/sign-in").get_data(as_text=True))
    response = client.post("/account/sign-in?next=/%0D%0AX-Injected:%201",
                           data={"csrf_token": token, "email": shopper_account[0], "password": shopper_account[1]})
    assert response.status_code in (303, 400)
    assert "X-Injected" not in response.headers
    assert "\r" not in response.headers.get("Location", "") and "\n" not in response.headers.get("Location", "")


def test_a_backslash_next_does_not_leave_the_site(app, shopper_account):
    client = app.test_client()
    token = csrf_token_from(client.get("/account/sign-in").get_data(as_text=True))
    response = client.post("/account/sign-in?next=/%5Cevil.example",
                           data={"csrf_token": token, "email": shopper_account[0], "password": shopper_account[1]})
    assert response.status_code == 303
    assert "evil.example" not in response.headers["Location"]


def test_the_register_and_reset_limits_do_not_talk_about_signing_in(client):
    token = csrf_token_from(client.get("/account/register").get_data(as_text=True))
    answers = [client.post("/account/register", data={"csrf_token": token, "email": f"new{n}@example.com",
                                                      "name": "New"}) for n in range(6)]
    assert answers[-1].status_code == 429
    html = answers[-1].get_data(as_text=True)
    assert "Too many tries from here" in html and "sign in" not in html.split("<main")[1].split("</main>")[0]
