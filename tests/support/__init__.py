"""Hermetic test infrastructure: a loopback HTTP server, a package index on it, a wheel/sdist factory."""
