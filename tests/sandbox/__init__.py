"""Tests of the local reference API (``glow_models_mcp.sandbox``).

A package so that its ``conftest.py`` is imported as ``sandbox.conftest``: as a plain directory it
would be registered as the top-level module ``conftest`` and shadow ``tests/conftest.py`` for the
test modules that do ``from conftest import ...``.
"""
