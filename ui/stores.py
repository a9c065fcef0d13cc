"""The stores the pages write to and read lists from, with the app's database supplied.

Pages talk to ui/ only (.importlinter); these are data_access's own functions, called with
`data.engine()` as their first argument, so a page passes what the user chose and the
viewer, nothing about the database.
"""

from __future__ import annotations


from data_access import audit, ingest, ingest_worker, reference
from data_access import commitments as _commitments
from data_access import reminders as _reminders
from ingest import load_mapping  # noqa: F401 - the import form's mapping
from ui import data

# --- review-meeting commitments (data_access/commitments.py) ---
CommitmentError = _commitments.CommitmentError
STATUSES = _commitments.STATUSES
PENDING = _commitments.PENDING
status_label = _commitments.status_label


def list_commitments(*args, **kwargs):
    return _commitments.list_commitments(data.engine(), *args, **kwargs)


def create_commitment(*args, **kwargs) -> int:
    return _commitments.create(data.engine(), *args, **kwargs)


def update_commitment(*args, **kwargs) -> None:
    return _commitments.update(data.engine(), *args, **kwargs)


def commitment_history(*args, **kwargs):
    return _commitments.history(data.engine(), *args, **kwargs)


# --- reminders of late steps (data_access/reminders.py) ---
NotRemindable = _reminders.NotRemindable
email_sender_from_secrets = _reminders.email_sender_from_secrets


def send_reminder(*args, **kwargs) -> dict:
    return _reminders.send_reminder(data.engine(), *args, **kwargs)


def reminders(*args, **kwargs):
    return _reminders.reminders(data.engine(), *args, **kwargs)


# --- imports (data_access/ingest.py, run in a worker process: data_access/ingest_worker.py) ---
SOURCES = ingest.SOURCES
REFERENCE_KINDS = reference.KINDS  # a city's own lists (data_access/reference.py), the same worker
REFERENCE_LABELS = reference.KIND_LABELS
reference_specs = reference.load_specs
run_import_job = ingest_worker.run_job


# Counting every fact row per unit takes a second at a million rows: kept a few minutes.
# An import clears every cache (pages/admin/data.py); other processes notice within seconds.
@data.loader(ttl=300, max_entries=4, scoped=False)
def freshness(engine):
    return ingest.freshness(engine)


def audit_entries(limit: int = 50):
    return audit.audit_entries(data.engine(), limit)
