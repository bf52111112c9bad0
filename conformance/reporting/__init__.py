"""Reporting: what a run found, and how it is told.

``stats`` (one family's run: examples, steps, rules exercised, outcome), ``counterexample``
(a mismatch and its description), ``progress`` (lines while a family runs), ``report``
(``report.json``, ``junit.xml``, ``summary.md``) and ``scenarios`` (the documented
scenarios' report).

May import: ``models`` only (besides the standard library); never the engine, the
implementation side or the front doors.
"""
