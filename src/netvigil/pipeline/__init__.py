"""The continuous path: new verdicts in the store -> per-bin signals -> live detectors -> events.

``Pipeline(store, settings, catalogue, StateFile(...)).tick()`` does one round; ``netvigil
pipeline run`` (and the collector) call it every ``poll_seconds``. See docs/pipeline.md.
"""

from netvigil.pipeline.runner import Pipeline, TickReport
from netvigil.pipeline.state import PipelineState, StateFile

__all__ = ["Pipeline", "PipelineState", "StateFile", "TickReport"]
