"""The closed vocabularies of policy records, documented in docs/policy.md, and jurisdictions.

Every value stored in a ``kind``, ``concern``, ``demand_kind`` or ``response`` column comes from a
tuple here; pages translate them with gettext (each is listed in :data:`VOCABULARY` through
``N_`` so the catalogue extractor sees it). Pure: no database, no I/O.
"""

from __future__ import annotations

from collections.abc import Mapping
from functools import lru_cache
from typing import Any


def N_(message: str) -> str:
    """Mark a string for the catalogue extractor (translated where it is shown)."""
    return message


# The site's languages, as stored in column suffixes (name_en, name_zh_hant, name_zh_hans).
LANGS: tuple[str, ...] = ("en", "zh_hant", "zh_hans")
# Web language code (netvigil.web._i18n) -> column suffix.
LANG_SUFFIX: Mapping[str, str] = {"en": "en", "zh_Hant": "zh_hant", "zh_Hans": "zh_hans"}

INSTRUMENT_KINDS: tuple[str, ...] = (
    "law", "regulation", "emergency_power", "court_order", "bill", "treaty",
)  # fmt: skip

# Dated steps of an instrument's history. ``threatened_use`` and ``invocation`` are how emergency
# powers show up in shutdown cases (a government says it may use them; it does).
EVENT_KINDS: tuple[str, ...] = (
    "proposal", "draft", "consultation", "negotiation_session", "vote", "adoption", "signature",
    "ratification", "entry_into_force", "implementing_rules", "amendment", "threatened_use",
    "invocation", "court_ruling", "suspension", "repeal",
)  # fmt: skip
# Lanes of the drawn timeline: how the instrument was made, decided, and used.
EVENT_LANES: Mapping[str, str] = {
    **dict.fromkeys(("proposal", "draft", "consultation", "negotiation_session"), "process"),
    **dict.fromkeys(
        ("vote", "adoption", "signature", "ratification", "entry_into_force",
         "implementing_rules", "amendment", "suspension", "repeal"),
        "decision",
    ),
    **dict.fromkeys(("threatened_use", "invocation", "court_ruling"), "use"),
}  # fmt: skip
LANES: tuple[str, ...] = ("process", "decision", "use")

# Date order: each pair (later, earlier) means the first ``later`` event may not precede the
# first ``earlier`` one. A law cannot enter into force before it is adopted, a treaty cannot be
# ratified before it is signed nor signed before its text is adopted, nothing is repealed before
# it was adopted or in force.
DATE_ORDER: tuple[tuple[str, str], ...] = (
    ("adoption", "proposal"),
    ("entry_into_force", "adoption"),
    ("signature", "adoption"),
    ("ratification", "signature"),
    ("repeal", "adoption"),
    ("repeal", "entry_into_force"),
    ("amendment", "adoption"),
)
DATE_PRECISIONS: tuple[str, ...] = ("day", "month", "year")

# Provisions of concern (the list; docs/policy.md explains each). ``unclassified`` only
# holds article references moved from the old legal-instrument list, for an editor to classify.
CONCERNS: tuple[str, ...] = (
    "shutdown_blocking", "content_removal", "real_name_registration", "data_localisation",
    "government_data_access", "company_surveillance", "vague_speech_offences",
    "cross_border_data_sharing", "unclassified",
)  # fmt: skip

DEMAND_KINDS: tuple[str, ...] = ("user_data", "metadata", "content_removal", "shutdown_order")
RESPONSES: tuple[str, ...] = ("comply", "pause", "refuse", "challenge_in_court", "publish")

STATEMENT_KINDS: tuple[str, ...] = ("joint_statement", "open_letter")
SIGNATORY_KINDS: tuple[str, ...] = ("organisation", "individual")
# Whether the addressees answered a statement.
RESPONSE_RECEIVED: tuple[str, ...] = ("yes", "no", "unknown")
# What became of one demand.
DEMAND_OUTCOMES: tuple[str, ...] = ("met", "partly_met", "not_met", "unknown")

RECORD_STATUSES: tuple[str, ...] = ("draft", "published")

# International and regional bodies that make instruments (their own codes, upper case; none may
# be an ISO 3166-1 code: "AU" is Australia, so the African Union is "AFRICAN_UNION").
INTERNATIONAL_BODIES: Mapping[str, str] = {
    "UN": N_("United Nations"),
    "EU": N_("European Union"),
    "COE": N_("Council of Europe"),
    "AFRICAN_UNION": N_("African Union"),
    "ASEAN": N_("Association of Southeast Asian Nations"),
    "OAS": N_("Organization of American States"),
    "OSCE": N_("Organization for Security and Co-operation in Europe"),
    "SCO": N_("Shanghai Cooperation Organisation"),
    "ECOWAS": N_("Economic Community of West African States"),
}

# What readers see for each vocabulary value (English; gettext translates it on the page).
LABELS: Mapping[str, str] = {
    "law": N_("law"), "regulation": N_("regulation"), "emergency_power": N_("emergency power"),
    "court_order": N_("court order"), "bill": N_("bill"), "treaty": N_("treaty"),
    "proposal": N_("proposal"), "draft": N_("draft"), "consultation": N_("consultation"),
    "negotiation_session": N_("negotiation session"), "vote": N_("vote"),
    "adoption": N_("adoption"), "signature": N_("signature"), "ratification": N_("ratification"),
    "entry_into_force": N_("entry into force"), "implementing_rules": N_("implementing rules"),
    "amendment": N_("amendment"), "threatened_use": N_("threatened use"),
    "invocation": N_("invoked"), "court_ruling": N_("court ruling"),
    "suspension": N_("suspension"), "repeal": N_("repeal"),
    "process": N_("drafting"), "decision": N_("decisions"), "use": N_("use"),
    "shutdown_blocking": N_("shutdown or blocking powers"),
    "content_removal": N_("content removal"),
    "real_name_registration": N_("real-name registration"),
    "data_localisation": N_("data localisation"),
    "government_data_access": N_("government access to data and metadata"),
    "company_surveillance": N_("surveillance obligations on companies"),
    "vague_speech_offences": N_("vague offences that can target speech"),
    "cross_border_data_sharing": N_("cross-border data sharing"),
    "unclassified": N_("not yet classified"),
    "user_data": N_("user data"), "metadata": N_("metadata"),
    "shutdown_order": N_("shutdown order"),
    "comply": N_("complied"), "pause": N_("paused"), "refuse": N_("refused"),
    "challenge_in_court": N_("challenged in court"), "publish": N_("published the figures"),
    "joint_statement": N_("joint statement"), "open_letter": N_("open letter"),
    "organisation": N_("organisation"), "individual": N_("individual"),
    "yes": N_("yes"), "no": N_("no"), "unknown": N_("not known"),
    "met": N_("met"), "partly_met": N_("partly met"), "not_met": N_("not met"),
}  # fmt: skip

# Record statuses are shown with these labels ("draft" as a status is not the event kind "draft").
STATUS_LABELS: Mapping[str, str] = {"draft": N_("Draft (not public)"), "published": N_("Published")}


@lru_cache(maxsize=512)
def check_jurisdiction(code: str) -> str | None:
    """The normalised jurisdiction for ``code``, or None when it is not one.

    Accepted: ISO 3166-1 alpha-2 (``HK``, ``CN``), ISO 3166-2 subdivisions (``IN-JK``), and the
    international bodies of :data:`INTERNATIONAL_BODIES` (``UN``).
    """
    import pycountry

    text = code.strip().upper()
    if not text:
        return None
    if text in INTERNATIONAL_BODIES:
        return text
    if len(text) == 2 and text.isalpha():
        return text if pycountry.countries.get(alpha_2=text) is not None else None
    subdivisions: Any = pycountry.subdivisions  # pycountry's lookup is untyped
    if "-" in text and subdivisions.get(code=text) is not None:
        return text
    return None


def country_of(jurisdiction: str) -> str | None:
    """The ISO alpha-2 country a jurisdiction belongs to (None for international bodies)."""
    if jurisdiction in INTERNATIONAL_BODIES:
        return None
    return jurisdiction.split("-", 1)[0]


# CLDR's alt="short" territory names (Babel's API only exposes the long form, e.g. "Hong Kong SAR
# China" / "中國香港特別行政區"); these are the names the people reading these pages use.
_SHORT_NAMES: Mapping[str, Mapping[str, str]] = {
    "HK": {"en": "Hong Kong", "zh_Hant": "香港", "zh_Hans": "香港"},
    "MO": {"en": "Macao", "zh_Hant": "澳門", "zh_Hans": "澳门"},
    "PS": {"en": "Palestine", "zh_Hant": "巴勒斯坦", "zh_Hans": "巴勒斯坦"},
}


@lru_cache(maxsize=2048)
def territory_name(code: str, lang: str = "en") -> str:
    """A country's name in ``lang`` (a web language code) from CLDR, or the code itself."""
    from babel import Locale

    short = _SHORT_NAMES.get(code, {}).get(lang)
    if short:
        return short
    try:
        territories: Any = Locale.parse(lang).territories  # babel ships no type hints
        return str(territories.get(code) or code)
    except (ValueError, TypeError):
        return code
