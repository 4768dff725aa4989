"""The probe: OONI's Web Connectivity on real sockets, writing OONI-format measurements.

Layers, from the wire up: ``failures`` (errors -> OONI strings), ``steps`` (DNS/TCP/TLS/HTTP on
asyncio, recording OONI ``records``), ``fetch`` (a URL and its redirects, shared with the helper),
``control`` (the test-helper client), ``webconnectivity`` (one URL -> one measurement, verdict from
``netvigil.analysis``), ``runner`` (many URLs, concurrency caps, the ``spool``), and the edges
``inputs``, ``consent`` and ``vantage``. See docs/probe.md.
"""
