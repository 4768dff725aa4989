"""The collector: OONI's probe-services API (open report, submit, close, check-in, test
helpers) with a durable intake journal drained into the store. See docs/collector.md.

``create_app(settings)`` is the ASGI app (``netvigil collector``, ``netvigil serve --collector``);
``Drainer`` moves a journal into a store (the app runs one in a process of its own);
``ReportKeys`` issues and checks report ids.
"""

from __future__ import annotations

from netvigil.collector.drain import Drainer, run_drainer
from netvigil.collector.journal import Journal
from netvigil.collector.reports import ReportKeys, load_report_key
from netvigil.collector.service import PATHS, create_app, drainer_options

__all__ = [
    "PATHS",
    "Drainer",
    "Journal",
    "ReportKeys",
    "create_app",
    "drainer_options",
    "load_report_key",
    "run_drainer",
]
