"""Public import path of the adapter protocol (it lives in ``conformance.iut.adapter``)."""

from conformance.iut.adapter import (
    ALL_CAPABILITIES,
    CAPABILITY_RULES,
    Adapter,
    AdapterError,
    AdapterFactory,
)

__all__ = ["ALL_CAPABILITIES", "CAPABILITY_RULES", "Adapter", "AdapterError", "AdapterFactory"]
