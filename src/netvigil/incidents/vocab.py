"""The codebook: one controlled vocabulary per STOP field, and how every STOP generation's values
map onto it (data, documented as a table in docs/incidents.md by ``scripts/stop_codebook.py``).

Access Now's sheets spell the same thing three ways ("Throttle", "Throttling"; "Level 3",
"Multi-regional", "It affected locations in more than one state, province, or region"). The
original cell stays in its STOP column (and verbatim in ``stop_raw``); the code sits beside it in
``<field>_code`` and is what filters, titles and impact read. A value that maps to nothing is
reported by the import (never silently dropped or guessed).

Keys are compared after :func:`value_key` (outer/inner whitespace collapsed, case folded), so
"Political Instability" and "Political instability" are one value.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

from netvigil.models.catalogue import load_catalogue

_CATALOGUE = load_catalogue()


def value_key(value: Any) -> str:
    return " ".join(str(value).split()).casefold()


@dataclass(frozen=True)
class Term:
    code: str
    label: str  # English label (the site translates it: web/locales)
    stop: str  # the text the STOP 2020-2022 codebook writes for it (what an editor's choice stores)


@dataclass(frozen=True)
class Vocabulary:
    """One controlled field: ``<name>_code`` is read from ``columns`` in order (the first
    non-blank cell that the table knows; a later column is a fallback of older sheets)."""

    name: str  # e.g. "type" -> column type_code
    label: str
    columns: tuple[str, ...]
    terms: tuple[Term, ...]
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # column -> value_key -> code

    @property
    def column(self) -> str:
        return f"{self.name}_code"

    def term(self, code: str | None) -> Term | None:
        return next((t for t in self.terms if t.code == code), None)

    def codes(self) -> tuple[str, ...]:
        return tuple(t.code for t in self.terms)


def _table(pairs: dict[str, tuple[str, ...]]) -> dict[str, str]:
    """{code: (raw spellings...)} -> {value_key: code}."""
    return {value_key(raw): code for code, spellings in pairs.items() for raw in spellings}


TYPE = Vocabulary(
    "type",
    "Shutdown type",
    ("shutdown_type",),
    (
        Term("shutdown", "Shutdown", "Shutdown"),
        Term("throttling", "Throttling", "Throttle"),
        Term("shutdown_and_throttling", "Shutdown and throttling", "Shutdown, Throttle"),
        Term("unknown", "Unknown", "unknown"),
    ),
    {
        "shutdown_type": _table(
            {
                # 2020-2022 and 2019: Shutdown; 2016-2018's shutdown_type_group names what was
                # cut (a whole network, mobile data, broadband or services): all shutdowns.
                "shutdown": (
                    "Shutdown",
                    "Full network",
                    "Mobile Internet",
                    "Broadband Internet",
                    "Service-based",
                ),
                "throttling": ("Throttle", "Throttling"),
                "shutdown_and_throttling": ("Shutdown, Throttle", "Shutdown and throttle"),
                "unknown": ("unknown",),
            }
        )
    },
)

EXTENT = Vocabulary(
    "extent",
    "Extent",
    ("shutdown_extent", "shutdown_type"),
    (
        Term("full_network", "Full network", "Full network"),
        Term("service_based", "Service-based", "Service-based"),
        Term("full_and_service", "Full network and services", "Full network, Service-based"),
    ),
    {
        "shutdown_extent": _table(
            {
                "full_network": ("Full network", "Full"),
                "service_based": ("Service-based",),
                "full_and_service": ("Full network, Service-based", "Full and Service-based"),
            }
        ),
        # 2016-2018 has no extent column: its shutdown_type_group says whether services or
        # networks were cut (throttling there is of whole networks).
        "shutdown_type": _table(
            {
                "full_network": (
                    "Full network",
                    "Mobile Internet",
                    "Broadband Internet",
                    "Throttling",
                ),
                "service_based": ("Service-based",),
            }
        ),
    },
)

NETWORK = Vocabulary(
    "network",
    "Affected network",
    ("affected_network",),
    (
        Term("mobile", "Mobile", "Mobile"),
        Term("broadband", "Broadband", "Broadband"),
        Term("mobile_and_broadband", "Mobile and broadband", "Broadband, Mobile"),
        Term("unknown", "Unknown", "Unknown"),
    ),
    {
        "affected_network": _table(
            {
                "mobile": (
                    "Mobile",
                    "Mobile Internet",
                    "Mobile Internet, SMS",
                    "Mobile Internet, Throttling",
                    "Mobile Internet, SMS, Telephony",
                    "Mobile Internet, Telephony",
                    "Mobile Internet, Service-based",
                ),
                "broadband": (
                    "Broadband",
                    "Broadband Internet",
                    "Broadband Internet, Service-based, Throttling",
                ),
                "mobile_and_broadband": (
                    "Broadband, Mobile",
                    "Broadband Internet, Mobile Internet",
                    "Mobile and broadband",
                    "Broadband Internet, Mobile Internet, SMS",
                    "Broadband Internet, Mobile Internet, Throttling",
                    "Broadband Internet, Mobile Internet, Service-based",
                ),
                # 2016-2018 rows whose only "network" is the kind of shutdown.
                "unknown": ("Unknown", "Service-based", "Throttling"),
            }
        )
    },
)

SCOPE = Vocabulary(
    "scope",
    "Geographic scope",
    ("geo_scope",),
    (
        Term("local", "One city or district", "It only affected one city, county, or village"),
        Term(
            "regional",
            "Several places in one region",
            "It affected more than one city in the same state, province, or region",
        ),
        Term(
            "multi_regional",
            "Several regions",
            "It affected locations in more than one state, province, or region",
        ),
        Term("national", "Nationwide", "National"),
        Term("unknown", "Unknown", "Not sure"),
    ),
    {
        "geo_scope": _table(
            {
                # 2019's levels follow the 2020-2022 wording in order (1 = one city ...).
                "local": ("It only affected one city, county, or village", "Level 1", "Local"),
                "regional": (
                    "It affected more than one city in the same state, province, or region",
                    "Level 2",
                    "Regional",
                ),
                "multi_regional": (
                    "It affected locations in more than one state, province, or region",
                    "Level 3",
                    "Multi-regional",
                ),
                "national": ("National",),
                "unknown": ("Not sure",),
            }
        )
    },
)

# Since 2019 STOP has no "national" scope: a nationwide shutdown is "more than one state" (or
# Level 3) with the area written as nationwide. This is the rule that reads it (on area_name).
NATIONWIDE_WORDS = (
    "Nationwide",
    "Nation wide",
    "National",
    "Entire country",
    "Countrywide",
    "Near country-wide",
    "Whole country",
    "Most of the country",
    "All regions",
)  # the readings NATIONWIDE_AREA accepts at the start of the area (documented in the codebook)
NATIONWIDE_AREA = re.compile(
    r"^\s*(nation\s*-?\s*w[i]?de?|nationwde|national|entire (country|south sudan)|"
    r"(near )?country\s*-?\s*wide|whole country|most of the country|all regions)\b",
    re.IGNORECASE,
)

CAUSE = Vocabulary(
    "cause",
    "Actual cause",
    ("actual_cause",),
    (
        Term("protests", "Protests", "Protests"),
        Term("political_instability", "Political instability", "Political instability"),
        Term("elections", "Elections", "Elections"),
        Term("exams", "Exam cheating", "Exam cheating"),
        Term("communal_violence", "Communal violence", "Communal violence"),
        Term("information_control", "Information control", "Information control"),
        Term(
            "religious_event",
            "Religious holiday or anniversary",
            "Religious holiday/anniversary",
        ),
        Term("official_visit", "Visit by officials", "Visits by government officials"),
        Term("military_operation", "Military operation", "Military Operation"),
        Term("other", "Other", "Other"),
        Term("unknown", "Unknown", "Unknown"),
    ),
    {
        "actual_cause": _table(
            {
                "protests": ("Protests", "Protest"),
                "political_instability": ("Political instability",),
                "elections": ("Elections", "Election"),
                "exams": ("Exam cheating", "Cheating during exams"),
                "communal_violence": ("Communal violence",),
                "information_control": ("Information control",),
                "religious_event": (
                    "Religious holiday/anniversary",
                    "Religious Holiday / Anniversary",
                    "Religious Holiday/ Annversary",
                ),
                "official_visit": ("Visits by government officials",),
                "military_operation": ("Military Operation",),
                "other": ("Other",),
                "unknown": ("Unknown",),
            }
        )
    },
)

JUSTIFICATION = Vocabulary(
    "justification",
    "Government justification",
    ("gov_justification",),
    (
        Term("precaution", "Precautionary measure", "Precautionary measure"),
        Term(
            "public_safety",
            "Public safety, public order",
            "Public safety/ Quell unrest / Restore public order",
        ),
        Term(
            "national_security",
            "National security, counter-terrorism",
            "National security/ Counter-terrorism",
        ),
        Term(
            "hate_speech",
            "Fake news, hate speech, incitement",
            "Fake news/ Hate speech/ Incendiary content/ Promoting violence",
        ),
        Term("exams", "School exams", "School exams"),
        Term("sabotage", "Sabotage, third-party action", "Sabotage/ Third-party Action"),
        Term("illegal_content", "Illegal content", "Illegal content"),
        Term(
            "technical",
            "Technical problems",
            "Technical problems/ Infrastructure failure",
        ),
        Term("none", "None given", "None"),
        Term("other", "Other", "Other"),
        Term("unknown", "Unknown", "Unknown"),
    ),
    {
        "gov_justification": _table(
            {
                "precaution": ("Precautionary measure",),
                "public_safety": (
                    "Public safety/ Quell unrest / Restore public order",
                    "Public Safety / Quell Unrest / Restore Public Order",
                    "Public Safety",
                ),
                "national_security": (
                    "National security/ Counter-terrorism",
                    "National Security / Counter-Terrorism",
                    "National Security",
                ),
                "hate_speech": (
                    "Fake news/ Hate speech/ Incendiary content/ Promoting violence",
                    "Fake News / Hate Speech / Incendiary Content or Promoting Violence",
                    "Fake News/ Hate Speech",
                ),
                "exams": ("School exams",),
                "sabotage": (
                    "Sabotage/ Third-party Action",
                    "Sabotage / Third-party Action",
                    "Sabotage/Third-party Action",
                ),
                "illegal_content": ("Illegal content",),
                "technical": (
                    "Technical problems/ Infrastructure failure",
                    "Technical Problems / Infrastructure Failure",
                    "Technical Problems",
                ),
                "none": ("None",),
                "other": ("Other",),
                "unknown": ("Unknown",),
            }
        )
    },
)

ORDERED_BY = Vocabulary(
    "ordered_by",
    "Ordered by",
    ("ordered_by",),
    (
        Term("executive_government", "National government", "Executive government"),
        Term("state_government", "State or provincial government", "State government"),
        Term("local_government", "Local government", "Local government"),
        Term("law_enforcement", "Law enforcement", "Law enforcement"),
        Term("military", "Military", "Military"),
        Term("judiciary", "Judiciary", "Judiciary"),
        Term("non_government", "Non-government actor", "Non-government"),
        Term("unknown", "Unknown", "Unknown"),
    ),
    {
        "ordered_by": _table(
            {
                "executive_government": (
                    "Executive government",
                    # A ministry acting through the ICT ministry (2019, Iraq): the executive.
                    "Ministry of Education - via a Communic to the Ministry of ICT",
                ),
                "state_government": ("State government",),
                "local_government": ("Local government",),
                "law_enforcement": ("Law enforcement", "Law Enforcemnet"),
                "military": ("Military",),
                "judiciary": ("Judiciary",),
                "non_government": ("Non-government",),
                "unknown": ("Unknown", "Uknown"),
            }
        )
    },
)

VOCABULARIES: tuple[Vocabulary, ...] = (
    TYPE,
    EXTENT,
    NETWORK,
    SCOPE,
    CAUSE,
    JUSTIFICATION,
    ORDERED_BY,
)
BY_NAME: dict[str, Vocabulary] = {v.name: v for v in VOCABULARIES}
CODE_COLUMNS: tuple[str, ...] = tuple(v.column for v in VOCABULARIES)

# Platforms named in STOP's flag columns and free text: the service catalogue's names and
# patterns (netvigil.models.catalogue, one name per service everywhere). Matched on words.
SERVICE_PATTERNS: dict[str, str] = _CATALOGUE.mention_patterns()
FLAG_SERVICES: dict[str, str] = {
    column: name
    for name, column in _CATALOGUE.stop_columns().items()
    if name in SERVICE_PATTERNS  # the platforms (STOP's sms/phone-call columns are not)
}
