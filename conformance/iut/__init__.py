"""The implementation side: everything that talks to an implementation under test.

``adapter`` (the protocol an IUT implements, its capabilities and ``AdapterError``),
``subprocess_adapter`` (any language over JSON lines on stdio), ``model_adapter`` and
``model_server`` (the reference model as an IUT, in-process and over JSON lines),
``resolve`` (an ``--iut`` string to a factory) and ``schemas`` (the JSON Schemas of every
message, in ``protocol/`` with the protocol's README).

May import: ``models`` only (besides the standard library and jsonschema); never the engine,
reporting or the front doors.
"""
