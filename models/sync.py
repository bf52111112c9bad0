"""Sync cycles: start (upload the batch), end (download), and a restart in between."""

from __future__ import annotations

from models.device import Device
from models.records import Result, SyncError
from models.server import ACCEPTED, Server, refused


def start_cycle(device: Device, server: Server) -> Result:
    """SYNC-3: a cycle's batch is the outbox at the moment it starts; the batch is uploaded in
    order and each change is validated against the state the previous one left (SYNC-2).
    Edits made from now on go to the outbox and belong to the next cycle. A device already in
    a cycle refuses with ``busy``."""
    device.trace.add("SYNC-3")
    if device.in_flight is not None:
        return refused("busy")
    device.in_flight, device.outbox = device.outbox, []
    if len(device.in_flight) > 1:
        device.trace.add("SYNC-2")
    for change in device.in_flight:
        server.upload(device.id, device.user, change)
    return ACCEPTED


def end_cycle(device: Device, server: Server) -> Result:
    """SYNC-3 / VALID-2 / VALID-4 / STALE-4: ending a cycle acknowledges the batch, records
    one error per rejected change, and downloads the server's truth and the current privilege
    snapshot; edits queued during the cycle stay pending on top of it. A device not in a cycle
    refuses with ``idle``."""
    device.trace.add("SYNC-3")
    if device.in_flight is None:
        return refused("idle")
    errors: list[SyncError] = []
    for change in device.in_flight:
        # the acknowledgement: the server answers by operation id with the recorded outcome
        outcome = server.upload(device.id, device.user, change)
        if outcome is not None:
            errors.append(outcome)
    device.errors = errors
    if errors:
        device.trace.update(("VALID-2", "VALID-4"))
    device.in_flight = None
    device.install(server.download(device.user))
    device.trace.add("STALE-4")
    if not device.outbox:
        device.trace.add("SYNC-4")
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
