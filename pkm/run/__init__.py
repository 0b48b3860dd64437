"""`python -m pkm.run`: run a script with its dependencies, with no install step.

The warm path (`__main__`) uses `pkm_runtime` alone: find the context, read its
manifest, activate, run. The cold path (`_prepare`, run in a child process so the
script never sees the modules it imports) resolves the context, puts the trees in
the store and writes the manifest; on-demand imports go the same way.
"""
