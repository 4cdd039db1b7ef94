"""Issue 14, defect 4: no cell of an export can start a spreadsheet formula."""
import csv
import io

from tests.conftest import page_after, ship


def test_csv_export_neutralises_cells_that_would_start_a_formula(sign_in, paid_order, session):
    paid_order.email = "=1+1@example.com"
    session.commit()
    client = sign_in("fulfilment")
    page_after(client, ship(client, paid_order, carrier="other", other_carrier="=HYPERLINK(\"http://evil.example\",\"x\")"))
    paid_order.tracking_number = "@SUM(1+1)"  # the ship form refuses it now; orders shipped before may hold one
    session.commit()
    rows = list(csv.DictReader(io.StringIO(client.get("/admin/orders/export.csv").get_data(as_text=True))))
    row = next(row for row in rows if row["number"] == paid_order.number)
    assert row["email"] == "'=1+1@example.com"
    assert row["carrier"].startswith("'=HYPERLINK")
    assert row["tracking_number"] == "'@SUM(1+1)"
    assert row["paid"][0].isdigit()  # numbers stay numbers


def test_csv_cells_follow_owasps_rule():
    from app.admin.spreadsheets import csv_cell

    for dangerous in ("=1", "+1", "-1+2", "@x", "\tx", "\rx"):
        assert csv_cell(dangerous) == "'" + dangerous
    assert csv_cell("-12.50") == "-12.50" and csv_cell("TW-1") == "TW-1" and csv_cell(None) == ""
