"""A trainer's side of the loop on Kafka: publish generations and feedback, read labels.

Topics are `<prefix><base>` (src/records/topics.ts); keys: generations `run:promptId`, feedback `run`.
Security comes from the same environment the TypeScript apps read (KAFKA_SASL_MECHANISM,
KAFKA_SASL_USERNAME, KAFKA_SASL_PASSWORD / KAFKA_SASL_PASSWORD_FILE, KAFKA_SSL, KAFKA_SSL_CA_FILE).
"""
from __future__ import annotations

import os
import time
from dataclasses import dataclass, field
from typing import Any, Callable, Iterable, Sequence

from confluent_kafka import Consumer, KafkaError, Producer

from .codec import Codec
from .errors import DecodeError, KafkaClientError, LabelTimeout, RewardRouterError, UnknownSchemaError


@dataclass
class Pair:
    """One preference pair of a prompt. `vector` (the context, length d) is optional when the router has a text encoder."""

    pair_id: str
    response_a: str
    response_b: str
    vector: Sequence[float] | None = None


@dataclass
class LabelBatch:
    """The labels of one batch, one Label record per prompt, as the labeler wrote them."""

    batch: int
    labels: list[dict[str, Any]] = field(default_factory=list)

    def pairs(self) -> list[dict[str, Any]]:
        """Every labelled pair (kept pairs only: the labeler drops undecided ones)."""
        return [p for label in self.labels for p in label["pairs"]]


def security_config(env: dict[str, str] | None = None) -> dict[str, str]:
    """librdkafka settings from the project's KAFKA_* variables; never logs the password."""
    env = dict(os.environ if env is None else env)
    conf: dict[str, str] = {}
    mech = (env.get("KAFKA_SASL_MECHANISM") or "").lower()
    ssl = (env.get("KAFKA_SSL") or "").lower() in ("1", "true", "yes", "on") or bool(env.get("KAFKA_SSL_CA_FILE"))
    if mech:
        if mech not in ("scram-sha-256", "scram-sha-512", "plain"):
            raise RewardRouterError(f"unknown SASL mechanism {mech!r}")
        password = env.get("KAFKA_SASL_PASSWORD")
        if env.get("KAFKA_SASL_PASSWORD_FILE"):
            with open(env["KAFKA_SASL_PASSWORD_FILE"], encoding="utf-8") as f:
                password = f.read().rstrip("\r\n")
        if not env.get("KAFKA_SASL_USERNAME") or not password:
            raise RewardRouterError("SASL needs KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD or KAFKA_SASL_PASSWORD_FILE")
        conf.update({"security.protocol": "SASL_SSL" if ssl else "SASL_PLAINTEXT", "sasl.mechanisms": mech.upper(),
                     "sasl.username": env["KAFKA_SASL_USERNAME"], "sasl.password": password})
    elif ssl:
        conf["security.protocol"] = "SSL"
    if env.get("KAFKA_SSL_CA_FILE"):
        conf["ssl.ca.location"] = env["KAFKA_SSL_CA_FILE"]
    return conf


class Trainer:
    """Publishes a training run's generations and feedback and reads its labels."""

    def __init__(self, brokers: str, run: str, prefix: str = "rr.", codec: Codec | None = None,
                 group_id: str | None = None, config: dict[str, str] | None = None,
                 clock: Callable[[], int] | None = None):
        self.run = run
        self.prefix = prefix
        self.codec = codec or Codec()
        self._clock = clock or (lambda: int(time.time() * 1000))
        base = {"bootstrap.servers": brokers, **security_config(), **(config or {})}
        self._errors: list[str] = []
        self._refused: str | None = None
        self._producer = Producer({**base, "enable.idempotence": True, "linger.ms": 5,
                                   "error_cb": self._on_error})
        self._consumer = Consumer({**base, "group.id": group_id or f"{prefix}py-trainer.{run}",
                                   "auto.offset.reset": "earliest", "enable.auto.commit": True,
                                   "isolation.level": "read_committed", "error_cb": self._on_error})
        self._consumer.subscribe([self.topic("labels")])
        self._labels: dict[int, dict[str, dict[str, Any]]] = {}
        self.undecodable = 0

    def topic(self, base: str) -> str:
        return f"{self.prefix}{base}"

    def _on_error(self, err: KafkaError) -> None:
        # librdkafka retries by itself; record the error, the next flush()/labels() raises on a refusal.
        self._errors.append(f"{err.name()}: {err.str()}")
        if err.fatal() or err.code() in (KafkaError._AUTHENTICATION, KafkaError.SASL_AUTHENTICATION_FAILED):
            self._refused = f"Kafka refused the client: {err.str()}"

    def _raise_if_refused(self) -> None:
        if self._refused is not None:
            raise KafkaClientError(self._refused)

    def _on_delivery(self, err, _msg) -> None:
        if err is not None:
            self._errors.append(f"delivery failed: {err.str()}")

    def _produce(self, base: str, key: str, value: bytes) -> None:
        self._producer.produce(self.topic(base), key=key.encode("utf-8"), value=value, on_delivery=self._on_delivery)
        self._producer.poll(0)

    def publish_generation(self, batch: int, prompt_id: str, pairs: Iterable[Pair], prompt: str = "",
                           messages: Sequence[dict[str, str]] = (), category: str | None = None) -> None:
        """One prompt's pairs (the router routes each pair on its own)."""
        record = {
            "run": self.run, "batch": batch, "promptId": prompt_id, "category": category, "prompt": prompt,
            "messages": [{"role": m["role"], "content": m["content"]} for m in messages],
            "pairs": [{"pairId": p.pair_id, "responseA": p.response_a, "responseB": p.response_b,
                       "embedding": [float(x) for x in p.vector] if p.vector is not None else []} for p in pairs],
            "sentAtMs": self._clock(),
        }
        self._produce("generations", f"{self.run}:{prompt_id}", self.codec.encode("generations", record))

    def publish_loss(self, batch: int, pair_id: str, loss: float) -> None:
        """The pair's training loss under the pre-update policy (finite)."""
        self._produce("feedback", self.run, self.codec.encode("feedback", {
            "run": self.run, "batch": batch, "kind": "LOSS", "pairId": pair_id, "loss": float(loss), "expectedPairs": None}))

    def publish_batch_end(self, batch: int, expected_pairs: int) -> None:
        """No more losses follow for this batch; `expected_pairs` LOSS records were sent."""
        self._produce("feedback", self.run, self.codec.encode("feedback", {
            "run": self.run, "batch": batch, "kind": "BATCH_END", "pairId": None, "loss": None, "expectedPairs": expected_pairs}))

    def publish_losses(self, batch: int, losses: dict[str, float]) -> None:
        """Every loss of a batch, then its batch end."""
        for pair_id, loss in losses.items():
            self.publish_loss(batch, pair_id, loss)
        self.publish_batch_end(batch, len(losses))
        self.flush()

    def flush(self, timeout_s: float = 30.0) -> None:
        # In short steps, so an authentication or TLS refusal ends the wait at once instead of at the timeout.
        deadline = time.monotonic() + timeout_s
        while True:
            left = self._producer.flush(0.2)
            self._raise_if_refused()
            if left == 0 or time.monotonic() >= deadline:
                break
        failed = [e for e in self._errors if e.startswith("delivery failed")]
        if left > 0 or failed:
            why = failed[:3] or self._errors[-3:] or ["broker unreachable?"]
            raise KafkaClientError(f"{left} record(s) not delivered; {'; '.join(why)}")

    def labels(self, batch: int, prompts: int, timeout_s: float = 120.0) -> LabelBatch:
        """Waits until labels of `prompts` prompts of `batch` have arrived (one Label per prompt)."""
        deadline = time.monotonic() + timeout_s
        while len(self._labels.get(batch, {})) < prompts:
            if time.monotonic() > deadline:
                raise LabelTimeout(f"batch {batch}: {len(self._labels.get(batch, {}))} of {prompts} labels after {timeout_s} s",
                                   errors=self._errors[-3:])
            msg = self._consumer.poll(0.5)
            self._raise_if_refused()
            if msg is None:
                continue
            if msg.error():
                if msg.error().code() == KafkaError._PARTITION_EOF:
                    continue
                raise KafkaClientError(f"labels: {msg.error().str()}")
            try:
                label = self.codec.decode("labels", msg.value())
            except (DecodeError, UnknownSchemaError):
                self.undecodable += 1
                continue
            if label["run"] == self.run:
                self._labels.setdefault(label["batch"], {})[label["promptId"]] = label
        return LabelBatch(batch, list(self._labels.pop(batch).values()))

    def close(self) -> None:
        try:
            self._producer.flush(10)
        finally:
            self._consumer.close()
