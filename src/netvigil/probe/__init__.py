"""The probe: OONI's nettests on real sockets, writing OONI-format measurements.

Layers, from the wire up: ``failures`` (errors -> OONI strings), ``steps`` (DNS/TCP/TLS/HTTP on
asyncio, recording OONI ``records``), ``fetch`` (a URL and its redirects, shared with the helper),
``control`` (the test-helper client); ``nettest`` (what a nettest is) and ``nettests/`` (one
module per nettest, registered by name: ``web_connectivity``, whose verdict comes from
``netvigil.analysis``); ``envelope`` (the OONI envelope and redaction shared by all nettests),
``runner`` (nettests over many inputs, concurrency caps, the ``spool``), and the edges
``inputs``, ``consent`` and ``vantage``. See docs/probe.md.
"""
