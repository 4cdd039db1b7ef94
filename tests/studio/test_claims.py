"""The claims check while editing: product copy refused beside the field; article warnings that
must be acknowledged (who, when, which rule) before publishing; the rules page."""
import re

import pytest
from sqlalchemy import select

from app.content.models import Article
from app.studio.models import Revision
from tests.conftest import page_after
from tests.studio.conftest import flashes, item_id, publish, save

# The demo articles' warnings, as an editor acknowledges them (each is quoted to refute, or is a
# figure whose source the article names elsewhere).
DEMO_WARNINGS = {
    "calcium-and-magnesium-balance": {"uncited-figure"},
    "how-common-is-back-pain": {"condition-beside-product"},
    "how-much-magnesium-do-you-need": {"uncited-figure"},
    "iv-magnesium-study-chronic-low-back-pain": {"absolute-promise"},
    "magnesium-and-muscle-tension": set(),
    "magnesium-and-nerve-signaling": set(),
    "stress-and-magnesium": {"condition-beside-product"},
    "what-we-can-and-cant-say-about-magnesium-creams": {"absolute-promise"},
}


def test_a_drug_claim_is_refused_with_its_reason_beside_the_field(session, marketing):
    product_id = item_id(session, "product", "magnesium-body-cream")
    response = save(marketing, session, "product", product_id, summary="Relieves aches overnight.",
                    seo_title="As effective as an IV drip")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    summary_box = re.search(r'<input[^>]*id="summary"[^>]*>', html).group(0)
    assert 'aria-describedby="summary-error"' in summary_box and 'aria-invalid="true"' in summary_box
    summary_error = html.split('id="summary-error">')[1].split("</p>")[0]
    assert "relieves" in summary_error and "Promising relief, a cure or a remedy" in summary_error
    assert "Safer:" in summary_error
    assert "like-a-drug" not in summary_error and "Comparing a cream with a drug" in html.split('id="seo_title-error">')[1]
    assert 'value="Relieves aches overnight."' in html  # what was typed stays in the box
    assert session.scalars(select(Revision)).all() == []


@pytest.mark.parametrize("slug", sorted(DEMO_WARNINGS))
def test_the_demo_articles_pass_or_carry_an_acknowledged_warning(session, marketing, sign_in, slug):
    article_id = item_id(session, "article", slug)
    page_after(marketing, save(marketing, session, "article", article_id, reviewed_by="Dana Reyes, RD"))
    editor_page = marketing.get(f"/admin/content/articles/{article_id}").get_data(as_text=True)
    expected = DEMO_WARNINGS[slug]
    for rule_id in expected:
        assert f'value="{rule_id}"' in editor_page  # a box to tick for each warning
    if expected:
        refused = page_after(marketing, publish(marketing, "article", article_id, 1))
        assert "Acknowledge each claims warning" in " ".join(flashes(refused))
        assert "Dana Reyes" not in marketing.get(f"/learn/{slug}").get_data(as_text=True)
    published = page_after(marketing, publish(marketing, "article", article_id, 1, acknowledge=sorted(expected)))
    assert "Revision 1 is published." in flashes(published)
    assert "by Dana Reyes, RD" in marketing.get(f"/learn/{slug}").get_data(as_text=True)
    revision = session.scalars(select(Revision).where(Revision.kind == "article",
                                                      Revision.object_id == article_id)).one()
    assert {entry["rule"] for entry in revision.acknowledgements} == expected
    assert all(entry["by"] == "marketing@tidewater.example" and entry["at"] for entry in revision.acknowledgements)
    assert session.get(Article, article_id).reviewed_by == "Dana Reyes, RD"


def test_the_rules_page_lists_every_rule_with_its_safer_wording(marketing):
    html = marketing.get("/admin/content/rules").get_data(as_text=True)
    for rule_id in ("relief-or-cure", "medical-word", "condition-beside-product", "absolute-promise",
                    "uncited-figure", "old-source-present-tense"):
        assert f'id="rule-{rule_id}"' in html
    assert "Safer wording:" in html
