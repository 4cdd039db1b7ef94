"""The words that turn cosmetic product copy into a drug claim, and where in the copy they are.

In the US a product whose copy claims to treat, relieve or prevent a condition, to change how the
body works (sleep, mood, inflammation, blood levels, absorption into the bloodstream), or to work
like a drug or an IV is regulated as a drug. Cosmetic copy says what a cream does for skin and for
the pleasure of a massage ("moisturizes", "soothes", "relaxes tired muscles").

Two lists, because a warning has to name what it warns about ("If you have kidney disease, ask a
doctor", "If you are under medical treatment, ask a doctor", "Stop use if pain or swelling
occurs") but must never promise anything: CLAIMS are refused in every field, MEDICAL_WORDS
(illnesses, symptoms, treatment, medicines) in every field but the warnings. Words match whole,
with their endings ("painkilling", "migraines", "inflamed"); link addresses in Markdown count, as
pointing product copy at a page about a condition ties the product to it. "Magnesium levels" is
refused after a verb that raises or keeps them up, not after "we do not claim that it changes".
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping

CLAIMS = re.compile(
    r"\b(?:"
    r"relie(?:f|fs|ve|ves|ved|ver|vers|ving)|pain[ -]?killers?|pain[ -]?killing|pain[ -]?free|numbs|numbing"
    r"|cur(?:e|es|ed|ing|ative)|remed(?:y|ies|ial)|therapeutic(?:ally)?|analgesics?"
    r"|anti-?inflammator(?:y|ies)|relaxants?|detox\w*"
    # how the body works: sleep, blood, absorption, magnesium status
    r"|(?:sleep|rest)(?:s|ing)? (?:better|deeper|soundly|through the night)"
    r"|(?:better|deeper|improved?|restful|restorative) sleep|fall(?:s|ing)? asleep|sleep aids?"
    r"|bloodstream|blood (?:stream|levels?|flow)|serum magnesium|transdermal(?:ly)?|through (?:the|your) skin"
    r"|(?:skin|body) absorbs? (?:\w+ ){0,2}magnesium|absorb(?:s|ed|ing)? (?:the |more |extra )?magnesium"
    r"|magnesium absorption|top(?:s|ped|ping)? up (?:your )?magnesium"
    r"|(?:improv|boost|increas|stimulat|promot)(?:e|es|ed|s|ing)? (?:blood )?circulation"
    r"|(?:boost|rais|increas|restor|replenish|elevat|correct|improv|support|maintain|balanc|top)"
    r"(?:e|es|ed|s|ing)?(?: up)?(?: (?:your|the body's|body|healthy|normal|optimal|cellular))*"
    r" (?:magnesium|mineral) (?:levels?|stores|status)"
    # comparisons with medicine
    r"|(?:as|more) effective(?:ly)? (?:as|than)|as well as (?:an? )?(?:iv|drip|injection|pill|drug|medicine)"
    r"|iv drips?|(?-i:IV)|intravenous(?:ly)?|infusion therapy"
    r")\b",
    re.IGNORECASE,
)

_MEDICAL = (
    r"pains?|painful|(?:head|back|stomach|tooth|muscle |body )?aches?|aching|achy|sore(?:ness)?|stiffness"
    r"|numbness|cramp(?:s|ed|ing|y)?|spasms?|spasmodic|twitch(?:es|ing)?|restless legs?"
    r"|inflam\w*|swelling|\w+itis|sciatica|fibromyalgia|neuropath\w*|neuralgia|rheumat\w*|gout"
    r"|migraines?|insomnia|sleeplessness|anxi(?:ety|eties|ous)|depress(?:ion|ive)|panic attacks?|adhd"
    r"|eczema|psoriasis|wounds?|injur(?:y|ies)|deficien(?:cy|cies|t)|diseases?|disorders?|syndromes?"
    r"|symptoms?|diabet\w*|osteoporo\w*|hypertension|blood pressure|circulation|pms|menstrua\w*"
    r"|heal(?:s|ed|ing|er|ers)?|treat(?:s|ed|ing|ment|ments)?|injections?"
    r"|drugs?|medicines?|medicinal|medications?|prescriptions?|pharmaceutical\w*"
)
MEDICAL_WORDS = re.compile(rf"\b(?:{_MEDICAL})\b", re.IGNORECASE)

# A warning may name a condition, never promise to help with one ("Great for back pain"); "good
# for 12 months after opening" promises nothing.
PROMISES = re.compile(
    r"\b(?:(?:great|good|ideal|perfect|best|effective) (?:for|against|on)|helps? (?:with|against|ease|calm)"
    rf"|works? (?:for|against|on))(?: \w+){{0,3}}? (?:{_MEDICAL})\b",
    re.IGNORECASE,
)

# "Treat" as a little luxury, not as medicine: taken out before the words above are looked for.
COSMETIC_TREATS = re.compile(
    r"\b(?:(?:a|the|your|little|real|perfect|lovely|special|small|sweet|nice|weekly|daily) treats?|treat yourself)\b",
    re.IGNORECASE,
)

# Fields named as the admin forms name them, so a refusal points at the box to change.
LABELS = {
    "name": "Name", "slug": "Web address (slug)", "summary": "Summary", "description": "Description",
    "ingredients": "Ingredients", "directions": "How to use", "warnings": "Warnings", "seo_title": "SEO title",
    "seo_description": "SEO description", "alt": "Image alt text", "size": "Size", "scent": "Scent",
}
WARNING_FIELDS = frozenset({"warnings"})


def drug_claims(fields: Mapping[str, object], names: Iterable[str]) -> list[tuple[str, list[str]]]:
    """(field label, the words found) for each of these fields whose text makes a drug claim."""
    found = []
    for name in names:
        text = " ".join(_plain_letters(str(fields.get(name) or "")).split())  # a phrase may run over a line break
        text = COSMETIC_TREATS.sub(" ", text)
        if name == "slug":
            text = text.replace("-", " ")  # so "pain-relief" reads as the words it spells
        patterns = (CLAIMS, PROMISES) if name in WARNING_FIELDS else (CLAIMS, MEDICAL_WORDS)
        words = sorted({match.group(0).lower() for pattern in patterns for match in pattern.finditer(text)})
        if words:
            found.append((LABELS.get(name, name), words))
    return found


def _plain_letters(text: str) -> str:
    """The text as the words read: accents off ("reliéf") and invisible characters out (a soft
    hyphen or zero-width space inside "re\u00adlief"), which would otherwise hide a word."""
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(character for character in decomposed if unicodedata.category(character) not in ("Mn", "Cf"))
