"""Static checks over the source tree (import boundaries)."""
