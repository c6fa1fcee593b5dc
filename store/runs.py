"""Backfill runs: one row per set of arguments, claimed by one process at a time, and the items each has done.

A run's claim (`owner`, `lease_until`) is the same lease as a feed's (`store.repo.claim_feeds`): every write
that needs the claim names its owner in the WHERE clause, so a process that lost the run writes nothing and
learns it from the row count.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from store.models import BackfillItem, BackfillRun
from store.repo import insert_ignore


def open_run(session: Session, key: str, args: Mapping[str, Any], now: datetime) -> tuple[BackfillRun, bool]:
    """The run with these arguments, created if new and locked for this transaction; True when created."""
    created = insert_ignore(session, BackfillRun, [{"key": key, "args": dict(args), "started_at": now,
                                                     "position": 0}], ["key"])
    run = session.scalars(select(BackfillRun).where(BackfillRun.key == key).with_for_update()).one()
    return run, bool(created)


def take_run(run: BackfillRun, owner: str, until: datetime) -> None:
    """Claim a run opened (and locked) in this transaction for `owner` until `until` (written at commit)."""
    run.owner, run.lease_until = owner, until


def done_items(session: Session, run_id: int, not_done: Collection[str]) -> set[str]:
    """The keys of a run's items whose outcome is not one of `not_done`."""
    return set(session.scalars(
        select(BackfillItem.item_key).where(BackfillItem.run_id == run_id, BackfillItem.outcome.not_in(not_done))
    ))


def record_items(session: Session, run_id: int, owner: str, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Write a chunk's items (a key recorded before is overwritten) and advance the run's position.

    False when `owner` no longer holds the run: the caller then rolls the chunk back.
    """
    keys = [row["item_key"] for row in rows]
    session.execute(delete(BackfillItem).where(BackfillItem.run_id == run_id, BackfillItem.item_key.in_(keys)))
    insert_ignore(session, BackfillItem, rows, ["run_id", "item_key"])
    return _owned_update(session, run_id, owner, {"position": BackfillRun.position + len(rows)})


def finish_run(session: Session, run_id: int, owner: str, now: datetime) -> bool:
    """Mark the run finished and release its claim in one statement; False when `owner` no longer holds it."""
    return _owned_update(session, run_id, owner, {"finished_at": now, "owner": None, "lease_until": None})


def renew_run(session: Session, run_id: int, owner: str, until: datetime) -> bool:
    """Extend `owner`'s claim on the run; False when another process holds it now."""
    return _owned_update(session, run_id, owner, {"lease_until": until})


def release_run(session: Session, run_id: int, owner: str) -> bool:
    """Give back `owner`'s claim on the run; False when another process holds it now."""
    return _owned_update(session, run_id, owner, {"owner": None, "lease_until": None})


def _owned_update(session: Session, run_id: int, owner: str, values: Mapping[str, Any]) -> bool:
    """Update the run only while `owner` holds it; True when it did."""
    result = session.execute(
        update(BackfillRun).where(BackfillRun.id == run_id, BackfillRun.owner == owner).values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
