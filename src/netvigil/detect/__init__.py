"""Detection: signals -> outage events, verdicts -> blocking onsets (see docs/detection.md).

Modules: ``series`` (regular series, CSV reader), ``ioda`` (IODA's method), ``seasonal`` (the
netvigil detector), ``blocking`` (OONI's CUSUM), ``intervals`` (events and fusion), ``bgp``,
``external`` and ``own_signals`` (signal sources), ``verdict_rows`` (how detect reads verdicts),
``runner`` (detection over the store, whose tiers hold signals and events),
``benchmark``/``evaluate``/``ground_truth`` (the labelled benchmark).
"""
