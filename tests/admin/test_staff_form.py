"""Issue 14, defect 1: the staff edit form, saved as rendered, keeps the person's role."""
import re

import pytest
from sqlalchemy import select

from app.accounts.models import Role, User
from tests.conftest import page_after


def _rendered_form(html: str) -> dict[str, str]:
    """What a browser sends for the page's form with a select, as rendered: inputs, checked boxes, and each
    select's selected option (or, as a browser does, its first one when none is selected)."""
    form = next(form for form in re.findall(r'<form method="post".*?</form>', html, re.S) if "<select" in form)
    data = {}
    for tag in re.findall(r"<input[^>]*>", form):
        name = re.search(r'name="([^"]+)"', tag)
        value = re.search(r'value="([^"]*)"', tag)
        if not name or ('type="checkbox"' in tag and "checked" not in tag):
            continue
        data[name.group(1)] = value.group(1) if value else ("y" if 'type="checkbox"' in tag else "")
    for name, options in re.findall(r'<select[^>]*name="([^"]+)"[^>]*>(.*?)</select>', form, re.S):
        selected = re.search(r'<option selected value="([^"]*)"|<option value="([^"]*)" selected', options)
        first = re.search(r'<option[^>]*value="([^"]*)"', options)
        data[name] = next(group for group in selected.groups() if group is not None) if selected else first.group(1)
    return data


def _user(session, email: str) -> User:
    return session.scalars(select(User).where(User.email == email)).one()


@pytest.mark.parametrize("email, role", [("fulfilment@tidewater.example", Role.fulfilment),
                                         ("marketing@tidewater.example", Role.marketing),
                                         ("admin@tidewater.example", Role.admin)])
def test_staff_edit_form_saved_as_rendered_keeps_the_role(sign_in, session, email, role):
    admin = sign_in("admin")
    user = _user(session, email)
    html = admin.get(f"/admin/staff/{user.id}").get_data(as_text=True)
    data = _rendered_form(html)
    assert data["role"] == role.value
    response = admin.post(f"/admin/staff/{user.id}", data=data)
    assert response.status_code == 303, page_after(admin, response)[:2000]
    session.refresh(user)
    assert user.role is role and user.is_active_account
