"""Implementations under test of SPEC.md."""
