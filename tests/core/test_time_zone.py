"""Issue 17: times are stored in UTC and shown in the shop's time zone (SHOP_TIMEZONE)."""
import re
from datetime import datetime, timezone

import pytest
from sqlalchemy import select

from app.orders.models import Order

LATE_EVENING_IN_NEW_YORK = datetime(2026, 12, 8, 3, 30, tzinfo=timezone.utc)  # 10:30 pm on the 7th there


@pytest.fixture
def order(session) -> Order:
    order = Order(number="TW-TZTEST22", email="tz@example.com", currency="USD", subtotal_minor=2600,
                  shipping_minor=0, total_minor=2600, shipping_method="standard",
                  shipping_method_name="Standard shipping", created_at=LATE_EVENING_IN_NEW_YORK)
    session.add(order)
    session.commit()
    return order


def test_staff_see_times_in_the_shops_zone_and_the_database_keeps_utc(app, sign_in, order, session):
    page = sign_in("fulfilment").get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert re.search(r"placed 12/7/26, 10:30\sPM EST", page)  # \s: CLDR puts a narrow no-break space before PM
    stored = session.scalars(select(Order.created_at).where(Order.id == order.id)).one()
    assert stored.astimezone(timezone.utc).hour == 3


def test_summer_times_carry_daylight_saving(app, sign_in, order, session):
    order.created_at = datetime(2026, 7, 1, 16, 0, tzinfo=timezone.utc)
    session.commit()
    page = sign_in("fulfilment").get(f"/admin/orders/{order.number}").get_data(as_text=True)
    assert re.search(r"placed 7/1/26, 12:00\sPM EDT", page)


class TestAnotherZone:
    @pytest.fixture
    def config_overrides(self, config_overrides):
        return {**config_overrides, "SHOP_TIMEZONE": "America/Los_Angeles"}

    def test_the_setting_moves_every_time_shown(self, app, sign_in, order):
        page = sign_in("fulfilment").get(f"/admin/orders/{order.number}").get_data(as_text=True)
        assert re.search(r"placed 12/7/26, 7:30\sPM PST", page)


def test_a_date_is_the_day_it_was_in_the_shops_zone(app):
    with app.test_request_context():
        rendered = app.jinja_env.from_string("{{ moment | date('long') }}").render(moment=LATE_EVENING_IN_NEW_YORK)
    assert rendered == "December 7, 2026"


def test_staff_date_filters_count_the_shops_days(app, sign_in, order):
    """Placed at 10:30 pm on the 7th in New York (03:30 UTC on the 8th): an order of the 7th."""
    staff = sign_in("fulfilment")
    assert order.number in staff.get("/admin/orders?date_from=2026-12-07&date_to=2026-12-07").get_data(as_text=True)
    assert order.number not in staff.get("/admin/orders?date_from=2026-12-08").get_data(as_text=True)
