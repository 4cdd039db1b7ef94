"""Every rule in app/claims/rules.toml catches its own examples and lets its counter-examples be."""
from datetime import date

import pytest

from app.claims import Context, check_text, drug_claims, product_findings, rules

# Sources the article examples are read with: one old enough to warn about, one recent.
CONTEXT = Context(
    sources=[{"title": "Old Survey", "publisher": "Old Survey", "year": 2001},
             {"title": "Adult pain survey", "publisher": "Centers for Disease Control and Prevention (CDC)",
              "year": 2021}],
    product_names=["Magnesium Body Cream"], today=date(2026, 12, 8),
)
EXAMPLES = [(rule, text, expected) for rule in rules()
            for texts, expected in ((rule.should_match, True), (rule.should_not_match, False)) for text in texts]


def caught(rule, text: str) -> bool:
    if rule.applies_to == "product":
        field = next(iter(rule.only_fields), "summary")
        return any(finding.rule.id == rule.id for finding in product_findings({field: text}, (field,)))
    return any(finding.rule.id == rule.id for finding in check_text(text, CONTEXT))


@pytest.mark.parametrize(("rule", "text", "expected"), EXAMPLES,
                         ids=[f"{rule.id}:{text[:30]}" for rule, text, _ in EXAMPLES])
def test_each_rule_on_its_examples(rule, text, expected):
    assert caught(rule, text) is expected


def test_every_rule_has_a_reason_safer_wording_and_examples_both_ways():
    assert len(rules()) >= 9
    for rule in rules():
        assert rule.reason and rule.safer and rule.should_match and rule.should_not_match, rule.id
        assert rule.applies_to in ("product", "article"), rule.id
    assert len({rule.id for rule in rules()}) == len(rules())


def test_a_warning_may_name_a_condition_but_no_other_field_may():
    assert drug_claims({"warnings": "Stop use if swelling occurs."}, ("warnings",)) == []
    assert drug_claims({"summary": "Stop use if swelling occurs."}, ("summary",)) == [("Summary", ["swelling"])]


def test_a_figure_beside_a_link_is_cited():
    assert check_text("About 80% of people, [as the survey shows](https://example.org/survey).", CONTEXT) == []
