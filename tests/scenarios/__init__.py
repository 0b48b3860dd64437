"""Data-driven resolver scenarios: the cases, and a harness that serves them from the loopback index."""
