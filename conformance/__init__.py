"""Conformance engine: adapter protocol, stateful properties, pytest plugin, CLI and reports."""
