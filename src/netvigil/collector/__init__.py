"""The collector: OONI's probe-services API (open report, submit, close, check-in, test
helpers) with a durable intake journal drained into the store. See docs/collector.md.

``create_app(settings)`` is the ASGI app (``netvigil collector``, ``netvigil serve --collector``);
``Drainer`` moves a journal into a store (the app runs one in a process of its own);
``ReportKeys`` issues and checks report ids.
"""

from __future__ import annotations

from netvigil.collector.drain import Drainer, drainer_options, run_drainer, start_drainer
from netvigil.collector.journal import Journal
from netvigil.collector.reports import ReportKeys, load_report_key
from netvigil.collector.service import (
    WORKER_APP,
    app_from_parent,
    create_app,
    worker_environment,
)

__all__ = [
    "WORKER_APP",
    "Drainer",
    "Journal",
    "ReportKeys",
    "app_from_parent",
    "create_app",
    "drainer_options",
    "load_report_key",
    "run_drainer",
    "start_drainer",
    "worker_environment",
]
