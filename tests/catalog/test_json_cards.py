"""Cards read as JSON arrays (app.db.json_rows) come back in no promised order: the functions that
turn them into cards put them in staff order. The databases here happen to keep the inner query's
order, so the page tests cannot tell; these hand the functions a shuffled array."""
from app.catalog.services import product_cards_from_json
from app.content.cards import article_links_from_json


def _product(name: str, position: int) -> dict:
    return {"id": position, "slug": name.lower(), "name": name, "summary": "", "position": position,
            "price_from": 1600, "price_to": 1600, "currency": "USD", "image_path": None,
            "image_width": None, "image_height": None, "image_renditions": None,
            "review_count": 0, "rating_total": 0}


def test_product_cards_follow_position_then_name():
    shuffled = [_product("Stick", 2), _product("Butter", 1), _product("Bundle", 2), _product("Cream", 0)]
    assert [card.name for card in product_cards_from_json(shuffled)] == ["Cream", "Butter", "Bundle", "Stick"]


def test_article_cards_follow_position_then_title():
    shuffled = [{"slug": slug, "title": slug.title(), "summary": "", "position": position}
                for slug, position in (("stress", 1), ("intake", 0), ("calcium", 1))]
    assert [card.slug for card in article_links_from_json(shuffled)] == ["intake", "calcium", "stress"]
