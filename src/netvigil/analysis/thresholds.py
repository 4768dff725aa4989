"""Named thresholds of the web_connectivity HTTP comparison, with their source.

All from OONI probe-cli (``internal/minipipeline/httpdiff.go`` and webconnectivitylte's
``analysishttpdiff.go``), which keep web_connectivity 0.4's values.
"""

from __future__ import annotations

# Bodies "match" when the shorter is more than 70% of the longer (body_proportion > 0.7).
BODY_PROPORTION_MIN = 0.7

# Title words shorter than 5 bytes are ignored (5 = average English word length, says OONI).
TITLE_MIN_WORD_LEN = 5

# Headers almost every server sends: only the *other* ("uncommon") header names are compared.
COMMON_HEADERS: frozenset[str] = frozenset(
    {
        "date",
        "content-type",
        "server",
        "cache-control",
        "vary",
        "set-cookie",
        "location",
        "expires",
        "x-powered-by",
        "content-encoding",
        "last-modified",
        "accept-ranges",
        "pragma",
        "x-frame-options",
        "etag",
        "x-content-type-options",
        "age",
        "via",
        "p3p",
        "x-xss-protection",
        "content-language",
        "cf-ray",
        "strict-transport-security",
        "link",
        "x-varnish",
    }
)

# Headers Go's net/http removes while it parses a response (``Transfer-Encoding`` always,
# ``Trailer`` of a chunked body), so OONI's probe and helper never record them. Older probes and
# helpers did: left in, a chunked block page and a chunked real site "share" an uncommon header
# and the page counts as the real one. Comparisons ignore them, whoever recorded the headers.
PARSER_HEADERS: frozenset[str] = frozenset({"transfer-encoding", "trailer"})
