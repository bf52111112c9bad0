"""The conformance engine of offsync: it drives an implementation under test (IUT) and the
reference model (``models``) side by side and reports, rule by rule, where they differ.

Layout, by role (imports flow one way, down this list; ``tests/test_layout.py`` checks it):

- front doors: ``cli`` (the ``offsync`` command) and ``plugin`` (the pytest plugin, entry
  point ``pytest11``), with ``suite`` (the suite as pytest tests, which the plugin runs);
- ``engine``: the state machines, step and world generation, rule families, Hypothesis
  profiles, comparison and blame, explanation, shrinking;
- ``iut`` (the implementation side): the adapter protocol, the JSON-lines transport, the
  model as an IUT, choosing an IUT from ``--iut``, the message schemas (``iut/protocol``);
  ``reporting``: run statistics, counterexamples, progress lines, the report files;
- ``models`` (outside this package): the pure reference model.

Public import paths kept at this level: ``conformance.adapter`` (``Adapter``,
``AdapterError``, ...), ``conformance.subprocess_adapter`` (``SubprocessAdapter``) and
``conformance.model_adapter`` (``--iut conformance.model_adapter:factory``).
"""
