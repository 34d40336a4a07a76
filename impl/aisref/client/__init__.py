"""A small AIStore client on ``requests``: buckets, paged listing, streaming object reads."""

from aisref.client.batch_types import Colocation, MossIn, MossOut
from aisref.client.bucket import Bucket
from aisref.client.client import Client
from aisref.client.cluster import Cluster
from aisref.client.config import ArchiveConfig, ETLConfig
from aisref.client.data_shard import DataShard
from aisref.client.errors import (
    AccessDenied,
    AISError,
    AuthenticationRequired,
    BucketAlreadyExists,
    BucketNotFound,
    CertificateNotTrusted,
    ClusterUnreachable,
    ETLNotAvailable,
    ETLNotFound,
    GetBatchError,
    GetBatchIncomplete,
    GetBatchInterrupted,
    GetBatchTooManyMissing,
    GetBatchUnsupported,
    ObjectChangedDuringRead,
    ObjectNotFound,
    ObjectReadInterrupted,
    ShardFormatError,
    UnexpectedSampleField,
)
from aisref.client.get_batch import Batch
from aisref.client.listing import (
    ENTRY_IS_ARCH_MEMBER,
    ENTRY_IS_ARCHIVE,
    LS_ARCH_DIR,
    LS_NAME_ONLY,
    LS_NAME_SIZE,
    ListPage,
    ObjectEntry,
)
from aisref.client.obj import Object, ObjectProps
from aisref.client.object_group import ObjectGroup
from aisref.client.parallel_read import ParallelBuffer, ParallelObjectReader
from aisref.client.reader import ObjectReader
from aisref.client.request_client import RequestClient
from aisref.client.retry import RetryPolicy
from aisref.client.shared_count import SharedCount
from aisref.client.source import AISSource
from aisref.client.template import ObjectRange, expand_template

__all__ = [
    "ENTRY_IS_ARCHIVE",
    "ENTRY_IS_ARCH_MEMBER",
    "LS_ARCH_DIR",
    "LS_NAME_ONLY",
    "LS_NAME_SIZE",
    "AISError",
    "AISSource",
    "AccessDenied",
    "ArchiveConfig",
    "AuthenticationRequired",
    "Batch",
    "Bucket",
    "BucketAlreadyExists",
    "BucketNotFound",
    "CertificateNotTrusted",
    "Client",
    "Cluster",
    "ClusterUnreachable",
    "Colocation",
    "DataShard",
    "ETLConfig",
    "ETLNotAvailable",
    "ETLNotFound",
    "GetBatchError",
    "GetBatchIncomplete",
    "GetBatchInterrupted",
    "GetBatchTooManyMissing",
    "GetBatchUnsupported",
    "ListPage",
    "MossIn",
    "MossOut",
    "Object",
    "ObjectChangedDuringRead",
    "ObjectEntry",
    "ObjectGroup",
    "ObjectNotFound",
    "ObjectProps",
    "ObjectRange",
    "ObjectReadInterrupted",
    "ObjectReader",
    "ParallelBuffer",
    "ParallelObjectReader",
    "RequestClient",
    "RetryPolicy",
    "ShardFormatError",
    "SharedCount",
    "UnexpectedSampleField",
    "expand_template",
]
