"""reward-router's Python client for trainers: publish generations and feedback, read labels.

Records use the project's Avro schemas, read from the repository's `schemas/` (or $RR_SCHEMAS_DIR),
in Avro single-object encoding, byte for byte as the TypeScript apps write them.
"""
from .client import LabelBatch, Pair, Trainer, security_config
from .codec import Codec, default_schemas_dir
from .errors import (DecodeError, EncodeError, KafkaClientError, LabelTimeout, RewardRouterError, SchemaError,
                     UnknownSchemaError)

__all__ = ["Codec", "DecodeError", "EncodeError", "KafkaClientError", "LabelBatch", "LabelTimeout", "Pair",
           "RewardRouterError", "SchemaError", "Trainer", "UnknownSchemaError", "default_schemas_dir", "security_config"]
