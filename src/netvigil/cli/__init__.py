"""The ``netvigil`` command: one module per command group, each with ``register(app)``."""
