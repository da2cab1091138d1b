"""Tests of the local reference API (``glow_models_mcp.sandbox``).

A package so that its ``conftest.py`` is imported as ``sandbox.conftest`` and does not clash with
``tests/conftest.py`` (both would otherwise be the top-level module ``conftest``). Shared helpers
come from ``tests/support.py`` (``import support``); helpers of these tests only from
``sandbox_support.py``.
"""
