"""Typed records of every tier, the entities they are about and the catalogue of services.

The bottom layer: it imports nothing of netvigil but ``_errors`` (``docs/architecture.md``), so
every other package can read these records.
"""
