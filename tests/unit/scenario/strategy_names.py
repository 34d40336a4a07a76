"""The strategy registry's names as the scenario tests know them (the brief's list)."""

OBJECT_STRATEGIES = (
    "aisref-map",
    "aisref-iter",
    "aisref-datapipe",
    "official-map",
    "official-iter",
    "requests-get",
    "aisloader",
)
SHARD_STRATEGIES = ("aisref-shards", "aisref-multishard", "official-shards", "webdataset-http")
# The fast paths of issue #12 and their GetBatch ceiling (objects); the archive ceilings (shards).
FAST_OBJECT_STRATEGIES = (
    "official-batch-iter",
    "official-parallel-map",
    "official-map-dynamic",
    "aisref-batch-iter",
    "aisref-parallel-map",
    "aisref-map-dynamic",
    "aisloader-getbatch",
)
# aisref's readers with tensor_payloads=True (objects; for large samples through workers).
TENSOR_STRATEGIES = ("aisref-map-tensors", "aisref-iter-tensors", "aisref-parallel-map-tensors")
ARCHIVE_CEILINGS = ("aisloader-archive", "aisloader-archive-getbatch")
STRATEGIES = (OBJECT_STRATEGIES + SHARD_STRATEGIES + FAST_OBJECT_STRATEGIES + TENSOR_STRATEGIES
              + ARCHIVE_CEILINGS)
READERS = {
    **{name: ("objects",)
       for name in OBJECT_STRATEGIES + FAST_OBJECT_STRATEGIES + TENSOR_STRATEGIES},
    **{name: ("shards",) for name in SHARD_STRATEGIES + ARCHIVE_CEILINGS},
    "aisloader": ("objects", "shards"),
}
