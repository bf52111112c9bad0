"""Public import path of the reference model as an IUT, ``--iut conformance.model_adapter:factory``
(it lives in ``conformance.iut.model_adapter``)."""

from conformance.iut.model_adapter import ModelAdapter, factory

__all__ = ["ModelAdapter", "factory"]
