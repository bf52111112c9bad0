"""The counterexample told for people: the opening sentence for each kind of difference, the
facts, and a gloss for every rule."""

from __future__ import annotations

from conformance.reporting.narrative import GLOSS, operation, sentence, tell
from models.examples import sample_world
from models.rules import RULES

OPS = [
    {"kind": "create", "device": "d0", "table": "account", "row": "n1",
     "values": {"name": "a", "revenue": 0}, "op_id": "op1"},
    {"kind": "sync_start", "device": "d0"},
    {"kind": "share", "row": "row0", "user": "u1", "rights": ["read", "write"]},
]  # fmt: skip


def test_every_rule_has_a_gloss() -> None:
    assert set(GLOSS) == set(RULES)


def test_operations_read_as_one_line() -> None:
    assert operation(OPS[0]) == 'd0 create account n1 {name: "a", revenue: 0} (op1)'
    assert operation(OPS[1]) == "d0 sync_start"
    assert operation(OPS[2]) == "share row0 user=u1 rights=read,write"
    retry = {"kind": "retry", "device": "d0", "error": "op1", "op_id": "op4"}
    assert operation(retry) == "d0 retry error op1 (op4)"  # type: ignore[arg-type]
    dismiss = {"kind": "dismiss", "device": "d0", "error": "op1"}
    assert operation(dismiss) == "d0 dismiss error op1"  # type: ignore[arg-type]


def test_the_sentence_says_what_happened_what_spec_expects_and_why() -> None:
    cases = [
        ("/devices/d0/pending", 1, 0, "d0 shows 0 pending change(s); SPEC expects 1"),
        ("/devices/d0/rows/account/n1", {"name": "a"}, "<missing>",
         "d0 does not show account row n1, which SPEC expects it to show"),
        ("/devices/d0/rows/account/n1", "<missing>", {"name": "a"},
         "d0 shows account row n1, which SPEC says it must not show"),
        ("/devices/d0/rows/account/n1/name", "a", "b",
         "d0 shows account n1's name as \"b\"; SPEC expects \"a\""),
        ("/result", {"status": "accepted"}, {"status": "refused", "reason": "privilege"},
         "the implementation answered refused (privilege); SPEC expects accepted"),
        ("/devices/d0/errors", [{"table": "account", "row": "n1", "op": "create",
                                 "reason": "privilege"}], [],
         "d0's sync errors are: no errors; SPEC expects: create account n1: privilege"),
        ("/server/n1", {"table": "account"}, "<missing>",
         "the server does not hold row n1, which SPEC expects it to hold"),
        ("/server/n1/values/name", "a", "b",
         "the server holds n1's values/name as \"b\"; SPEC expects \"a\""),
        ("/devices/d0/errors/0/reason", "not_found", "privilege",
         "d0's sync error 1 has reason \"privilege\"; SPEC expects \"not_found\""),
        ("/devices/d0/errors", [{"table": "account", "row": "a1", "op": "update",
                                 "reason": "privilege", "values": {"revenue": 0},
                                 "op_id": "op3"}], [],
         "SPEC expects: update account a1 {revenue: 0}: privilege (op3)"),
        ("/devices/d0/errors/0/op_id", "op7", "op6",
         "d0's sync error 1 has op_id \"op6\"; SPEC expects \"op7\""),
    ]  # fmt: skip
    for field, expected, actual, words in cases:
        told = sentence(["SYNC-8", "SYNC-1"], field, expected, actual, OPS, 1)
        assert told.startswith("At step 2 (d0 sync_start), "), told
        assert words in told, told
        assert "SYNC-8 (Restarts lose nothing): a restart keeps" in told
        assert "Also concerned: SYNC-1." in told
    assert sentence(["WORLD-1"], "/devices", 1, 2, [], -1).startswith("Right after the world")


def test_the_facts_are_short_and_wrapped() -> None:
    text = tell(
        family="outbox", world=sample_world(), operations=OPS, failing_step=1,
        rules=["SYNC-8"], field="/devices/d0/pending", expected=1, actual=0,
        replay="offsync replay r.json SYNC-8",
    )  # fmt: skip
    lines = text.splitlines()
    assert max(len(line) for line in lines) <= 100
    assert "world: conflict policy" in text and "  user " in text and "  role " in text
    assert ">  2. d0 sync_start" in lines
    assert "share row0" not in text  # operations after the failing one are not shown
    assert lines[-2:] == ["at /devices/d0/pending: expected 1, actual 0",
                          "replay: offsync replay r.json SYNC-8"]  # fmt: skip
