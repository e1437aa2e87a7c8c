"""Tests of benchsuite.evaluate.cagi5 beyond tests/evaluate/test_cagi5.py: windows and their context."""
