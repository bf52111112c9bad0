"""Sync cycles: start (upload the batch), end (download), a restart in between, and the
faults that break a cycle step."""

from __future__ import annotations

from models.device import Device
from models.records import END_FAULTS, START_FAULTS, Result
from models.server import ACCEPTED, Server, refused


def start_cycle(device: Device, server: Server, fault: str | None = None) -> Result:
    """SYNC-3: a cycle's batch is the outbox at the moment it starts; the batch is uploaded in
    order and each change is validated against the state the previous one left (SYNC-2).
    Edits made from now on go to the outbox and belong to the next cycle. A device already in
    a cycle refuses with ``busy``; an unknown fault is ``invalid``. With a fault the start
    fails (``network``): see ``failed_start``."""
    device.trace.add("SYNC-3")
    if fault is not None and fault not in START_FAULTS:
        return refused("invalid")
    if device.in_flight is not None:
        return refused("busy")
    if fault is not None:
        return failed_start(device, server, fault)
    device.in_flight, device.outbox = device.outbox, []
    if len(device.in_flight) > 1:
        device.trace.add("SYNC-2")
    device.restarts_seen = server.restarts
    for change in device.in_flight:
        server.upload(device.id, device.user, change)
    return ACCEPTED


def failed_start(device: Device, server: Server, fault: str) -> Result:
    """FAULT-1 / FAULT-2: a start that a fault broke is refused with ``network`` and leaves no
    cycle under way, everything pending still pending, in order. The upload was lost, or the
    server restarted before committing it (FAULT-1, FAULT-5): nothing was applied. Its answer
    was lost (FAULT-2): the server applied the batch, which the next cycle uploads again under
    the same operation ids (SYNC-5)."""
    if fault == "response_lost":
        device.trace.add("FAULT-2")
        if len(device.outbox) > 1:
            device.trace.add("SYNC-2")
        for change in device.outbox:
            server.upload(device.id, device.user, change)
    else:
        device.trace.add("FAULT-1")
        if fault == "server_restart":
            restart_server(server)
    return refused("network")


def end_cycle(device: Device, server: Server, fault: str | None = None) -> Result:
    """SYNC-3 / VALID-2 / VALID-4 / STALE-4: ending a cycle acknowledges the batch, records
    one open error per rejected change (after the errors still open), and downloads the
    server's truth and the current privilege snapshot; edits queued during the cycle stay
    pending on top of it. A device not in a cycle refuses with ``idle``; an unknown fault is
    ``invalid``. With a fault the end fails: see ``failed_end``. A cycle that a server
    restart fell into ends as usual (FAULT-5)."""
    device.trace.add("SYNC-3")
    if fault is not None and fault not in END_FAULTS:
        return refused("invalid")
    if device.in_flight is None:
        return refused("idle")
    if fault is not None:
        return failed_end(device, server, fault)
    if server.restarts != device.restarts_seen:
        device.trace.add("FAULT-5")
    for change in device.in_flight:
        # the acknowledgement: the server answers by operation id with the recorded outcome
        outcome = server.upload(device.id, device.user, change)
        if outcome is not None:
            device.record_error(change, outcome)
            device.trace.update(("VALID-2", "VALID-4"))
    device.in_flight = None
    device.install(server.download(device.user))
    device.trace.add("STALE-4")
    if not device.outbox:
        device.trace.add("SYNC-4")
    return ACCEPTED


def failed_end(device: Device, server: Server, fault: str) -> Result:
    """FAULT-3 / FAULT-4: an end that a fault broke changes nothing the device stored: not
    its cache, snapshot or errors (never half a download). The cycle is abandoned without
    acknowledgement, as a restart abandons it (SYNC-8): its batch goes back to the front of
    the outbox. The download was lost or cut, or the server restarted before answering
    (FAULT-3, FAULT-5): ``network``. The app was killed while storing it (FAULT-4):
    ``crashed``."""
    if fault == "crash":
        device.trace.add("FAULT-4")
        restart(device)
        return refused("crashed")
    device.trace.add("FAULT-3")
    if fault == "server_restart":
        restart_server(server)
    restart(device)
    return refused("network")


def restart_server(server: Server) -> Result:
    """FAULT-5: the server restarts and keeps everything it committed: rows, privileges and
    shares, and the operation ids it applied (SYNC-5). (The model holds nothing else.)"""
    server.trace.add("FAULT-5")
    server.restarts += 1
    return ACCEPTED


def restart(device: Device) -> Result:
    """SYNC-8: the app restarts. Cache, snapshot and outbox survive; a cycle under way is
    abandoned without acknowledgement, so its batch goes back to the front of the outbox and
    is uploaded again, under the same operation ids, by the next cycle (SYNC-5)."""
    device.trace.add("SYNC-8")
    if device.in_flight is not None:
        device.outbox = [*device.in_flight, *device.outbox]
        device.in_flight = None
    return ACCEPTED
