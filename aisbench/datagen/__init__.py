"""Data in the cluster: deterministic synthetic datasets named by their spec, generated or
verified and reused; and self-checking data for the fault suite."""

from aisbench.datagen.content import data_prefix
from aisbench.datagen.generate import ensure_dataset
from aisbench.datagen.self_checking import (
    MEMBER_EXTENSIONS,
    FaultData,
    Unit,
    checked_id,
    content_for,
    datapipe_id,
    delete_fault_data,
    id_from_content,
    make_shard,
    put_fault_data,
)

__all__ = [
    "MEMBER_EXTENSIONS",
    "FaultData",
    "Unit",
    "checked_id",
    "content_for",
    "data_prefix",
    "datapipe_id",
    "delete_fault_data",
    "ensure_dataset",
    "id_from_content",
    "make_shard",
    "put_fault_data",
]
