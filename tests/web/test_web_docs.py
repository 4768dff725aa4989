"""docs/api.md documents every route of the app (a new route without docs fails here)."""

from __future__ import annotations

import re

from fastapi import FastAPI
from web_support import REPO_ROOT, all_routes


def _normalise(text: str) -> str:
    return re.sub(r"\{[^}]*\}", "{}", text)


def test_every_route_is_in_docs_api_md(app: FastAPI) -> None:
    doc = _normalise((REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8"))
    routes = all_routes(app)
    assert len(routes) > 25
    missing = [
        f"{method} {path}" for method, path in routes if f"`{method} {_normalise(path)}`" not in doc
    ]
    assert missing == []


def test_docs_show_the_error_shape_the_app_uses(app: FastAPI) -> None:
    doc = (REPO_ROOT / "docs" / "api.md").read_text(encoding="utf-8")
    from netvigil.web._problems import error_body

    assert '{"error": {"status": 404, "message": "unknown incident \'42\'"}}' in doc
    assert error_body(404, "x") == {"error": {"status": 404, "message": "x"}}
