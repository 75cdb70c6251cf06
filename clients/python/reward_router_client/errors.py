"""Typed errors of the client. Codes follow the project's (src/core/errors.ts) where they overlap."""


class RewardRouterError(Exception):
    """Base class; `code` is the project's error code."""

    code = "RR_ERROR"

    def __init__(self, message: str, **fields):
        super().__init__(message)
        self.fields = fields


class SchemaError(RewardRouterError):
    """A schema file is missing, malformed or two files claim the same record and version."""

    code = "RR_SCHEMA"


class DecodeError(RewardRouterError):
    """Bytes that are not a single-object encoded record (bad marker, truncated, garbage)."""

    code = "RR_DECODE"


class UnknownSchemaError(RewardRouterError):
    """A fingerprint no known schema has, or a writer of another record."""

    code = "RR_UNKNOWN_SCHEMA"


class EncodeError(RewardRouterError):
    """A value that does not match its schema."""

    code = "RR_ENCODE"


class KafkaClientError(RewardRouterError):
    """The broker refused or could not be reached (authentication, TLS, delivery)."""

    code = "RR_BROKER"


class LabelTimeout(RewardRouterError):
    """Labels of a batch did not all arrive in time."""

    code = "RR_TIMEOUT"
