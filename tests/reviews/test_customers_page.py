"""The admin customers page counts the reviews each buyer wrote."""
import re


def test_the_customers_page_counts_each_buyers_reviews(reviewed, sign_in):
    order = reviewed(("5", "Lovely", "Soaks in fast."), ("2", "Too thick", "Hard to spread on dry skin."))
    html = sign_in("admin").get(f"/admin/customers?q={order.email}").get_data(as_text=True)
    row = re.search(rf"<tr>\s*<th[^>]*><a[^>]*>{re.escape(order.email.lower())}</a></th>(.*?)</tr>", html, re.S)
    assert row, html
    cells = [re.sub(r"<[^>]+>", "", cell).strip() for cell in re.findall(r"<td[^>]*>(.*?)</td>", row.group(1), re.S)]
    assert cells[-1] == "2"
