"""The control test helper: OONI's TH protocol, measured from an unfiltered network."""
