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
STRATEGIES = OBJECT_STRATEGIES + SHARD_STRATEGIES
READERS = {
    **{name: ("objects",) for name in OBJECT_STRATEGIES},
    **{name: ("shards",) for name in SHARD_STRATEGIES},
}
