"""The benchmark harness: gamecoll measured beside its ceilings in one run (`python -m bench`)."""
