"""Data in the reader's language: dates, numbers, currencies, country names and the controlled
vocabularies, through CLDR (Babel) and the site's catalogues.

Installed as Jinja filters that read the page's language from the template context, so one
environment serves every language. JSON twins stay language-neutral: ISO dates, numbers, codes.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from babel.dates import format_date, format_datetime
from babel.numbers import format_currency, format_decimal, format_percent
from jinja2 import Environment, pass_context
from jinja2.runtime import Context

from netvigil.models import countries as world
from netvigil.web._i18n import N_, Catalogues

# The observatory's controlled vocabularies, translated where shown (extracted from here).
VOCABULARY: tuple[str, ...] = (
    N_("ok"),
    N_("anomaly"),
    N_("confirmed"),
    N_("failure"),
    N_("outage"),
    N_("blocking"),
    N_("platform_outage"),
    N_("incident"),
    N_("dns"),
    N_("tcp"),
    N_("tls"),
    N_("http"),
    N_("day"),
    N_("week"),
    N_("month"),
    N_("Measurements by verdict"),
    N_("Outage signals"),
    N_("Incidents and legal instruments"),
    N_("What is going on now"),
    N_("What is going on"),
    N_("Measurement aggregation"),
    N_("Signals around the event"),
)


def _moment(value: Any) -> dt.datetime | dt.date | None:
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime | dt.date):
        return value
    text = str(value)
    if len(text) == 10:
        return dt.date.fromisoformat(text)
    return dt.datetime.fromisoformat(text.replace("Z", "+00:00"))


def localised_date(value: Any, lang: str, width: str = "medium") -> str:
    """``2019-11-16`` -> ``16 Nov 2019`` / ``2019年11月16日``."""
    moment = _moment(value)
    if moment is None:
        return ""
    day = moment.date() if isinstance(moment, dt.datetime) else moment
    return str(format_date(day, width, locale=lang))


def localised_datetime(value: Any, lang: str) -> str:
    """A moment in UTC, in the reader's language (``16 Nov 2019, 14:00 UTC``)."""
    moment = _moment(value)
    if moment is None:
        return ""
    if not isinstance(moment, dt.datetime):
        return localised_date(moment, lang)
    moment = moment.astimezone(dt.UTC)
    return f"{format_datetime(moment, 'medium', tzinfo=dt.UTC, locale=lang)} UTC"


def install_formatting(env: Environment, catalogues: Catalogues) -> None:
    """Filters: ``ldate``, ``ldatetime``, ``lnum``, ``lpct``, ``lmoney``, ``country``, ``term``."""

    def lang_of(ctx: Context) -> str:
        return str(ctx.get("lang", "en"))

    @pass_context
    def ldate(ctx: Context, value: Any, width: str = "medium") -> str:
        return localised_date(value, lang_of(ctx), width)

    @pass_context
    def ldatetime(ctx: Context, value: Any) -> str:
        return localised_datetime(value, lang_of(ctx))

    @pass_context
    def lnum(ctx: Context, value: Any) -> str:
        return "" if value is None else str(format_decimal(value, locale=lang_of(ctx)))

    @pass_context
    def lpct(ctx: Context, value: Any) -> str:
        return "" if value is None else str(format_percent(value, locale=lang_of(ctx)))

    @pass_context
    def lmoney(ctx: Context, value: Any, currency: str = "USD") -> str:
        if value is None:
            return ""
        # Whole currency units: estimates are not precise to the cent.
        text = format_currency(round(value), currency, locale=lang_of(ctx), currency_digits=False)
        return str(text).replace(".00", "")

    @pass_context
    def country(ctx: Context, code: str | None) -> str:
        return world.display_name(code, lang_of(ctx)) if code else ""

    @pass_context
    def term(ctx: Context, value: str | None) -> str:
        """A controlled-vocabulary value in the reader's language."""
        if not value:
            return ""
        return str(catalogues.get(lang_of(ctx)).gettext(value))

    env.filters.update(
        ldate=ldate, ldatetime=ldatetime, lnum=lnum, lpct=lpct, lmoney=lmoney, country=country,
        term=term,
    )  # fmt: skip
