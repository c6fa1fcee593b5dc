"""Pruning a store (store/retention.py) with its archive files, logged: for `wirefeed prune` and the daemon."""

from __future__ import annotations

import structlog

from config.settings import Settings
from store.archive import archive_directory
from store.db import Store
from store.models import utcnow
from store.retention import PrunePlan, delete_files, move_files, plan, prune

log = structlog.get_logger("wirefeed.retention")


def prune_store(store: Store, settings: Settings, *, dry_run: bool = False) -> PrunePlan:
    """Plan, or prune and then delete the archive files the committed rows no longer point at."""
    now = utcnow()
    with store.session() as session:
        found = plan(session, settings, now) if dry_run else prune(session, settings, now)
    if not dry_run:
        if found.moved_to is not None:
            move_files(archive_directory(settings, store.url), found)
        else:
            delete_files(archive_directory(settings, store.url), found)
        fields = found.as_dict()
        del fields["files"]
        log.info("store_pruned", **fields)
    return found
