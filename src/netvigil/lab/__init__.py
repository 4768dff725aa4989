"""The censorship lab: a censored network built from network namespaces on one machine.

``plan`` (addresses, sites, faults as data), ``scenarios`` (OONI's QA scenarios as lab data),
``censor`` (iptables/tc rules), ``topology`` (build and teardown), ``dns_server`` and
``web_server`` (the processes run inside the lab), ``run`` (running the probe on scenarios).
"""
