"""The conformance suite as pytest tests: one test per rule family (``offsync run`` runs it)."""
