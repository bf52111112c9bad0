"""Public import path of the JSON-lines adapter (it lives in
``conformance.iut.subprocess_adapter``)."""

from conformance.iut.subprocess_adapter import SubprocessAdapter, factory_for

__all__ = ["SubprocessAdapter", "factory_for"]
