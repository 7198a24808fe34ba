"""The send ledger follow-up delivers through; its table belongs to the store (`worker.store.sends`)."""

from worker.store.sends import (
    CLAIM_LEASE,
    FAILED,
    PENDING,
    SENDING,
    SENT,
    SKIPPED,
    Ledger,
    SendRow,
    channel_id,
    masked,
)

__all__ = ["CLAIM_LEASE", "FAILED", "PENDING", "SENDING", "SENT", "SKIPPED", "Ledger", "SendRow",
           "channel_id", "masked"]
