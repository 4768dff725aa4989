"""Detection: signals -> outage events, verdicts -> blocking onsets (see docs/detection.md).

Modules: ``series`` (regular series, CSV reader), ``ioda`` (IODA's method), ``streaming`` (the
netvigil detector as a bin-by-bin step), ``kinds`` (its parameters per signal kind), ``seasonal``
(that step over whole series), ``fusion`` (events of one entity across its signals), ``blocking``
(OONI's CUSUM), ``intervals`` (events), ``bgp``, ``external`` and ``own_signals`` (signal
sources), ``verdict_rows`` (how detect reads verdicts), ``runner`` (detection over the store, whose
tiers hold signals and events), and the benchmark: ``benchmark`` (synthetic series),
``real_signals`` (real labelled series), ``ground_truth`` (IODA's curated list), ``scoring``
and ``evaluate``.
"""
