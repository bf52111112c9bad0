"""The engine: runs the rule families' stateful properties against an implementation.

``machine`` (one Hypothesis state machine per family, ``run_family``) draws each step with
``steps`` and each world with ``strategies``, and runs them through ``driver`` (the program
applied to the IUT and the model side by side, compared after every step by ``compare``, the
rules named with ``explain``); ``minimize`` shrinks a failure by replaying it through
``driver``; ``families`` and ``profiles`` say what runs and how hard; ``strength`` runs a
family until it kills a broken implementation.

May import: ``conformance.iut``, ``conformance.reporting``, ``models``, Hypothesis. Never the
front doors (``cli``, ``plugin``, ``suite``).
"""
