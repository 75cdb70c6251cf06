"""The client over SASL_SSL (driven by test/integration/kafka-security.test.ts, which starts a broker
with a SASL_SSL listener and sets RR_SASL_BROKERS and the KAFKA_SASL_* / KAFKA_SSL_CA_FILE env)."""
import os

import pytest

from reward_router_client import KafkaClientError, Pair, Trainer

BROKERS = os.environ.get("RR_SASL_BROKERS")
pytestmark = pytest.mark.skipif(not BROKERS, reason="run by test/integration/kafka-security.test.ts (needs the SASL_SSL broker)")


def test_publishes_over_scram_and_tls():
    trainer = Trainer(BROKERS, os.environ["RR_SASL_RUN"], prefix=os.environ["RR_SASL_PREFIX"])
    try:
        trainer.publish_generation(0, "py-p0", [Pair("py-p0-r0r1", "a", "b", [0.5, 0.5])], prompt="over TLS")
        trainer.flush(30)
    finally:
        trainer.close()


def test_a_wrong_password_is_a_typed_error_not_a_timeout():
    env = {k: os.environ[k] for k in ("KAFKA_SASL_PASSWORD",)}
    os.environ["KAFKA_SASL_PASSWORD"] = "wrong-" + env["KAFKA_SASL_PASSWORD"]
    try:
        with pytest.raises(KafkaClientError) as err:
            trainer = Trainer(BROKERS, "r", prefix="x.")
            try:
                trainer.publish_generation(0, "p", [Pair("p-r0r1", "a", "b")])
                trainer.flush(30)
            finally:
                trainer._consumer.close()
        # The broker's refusal, not a delivery timeout (flush's bound of 30 s keeps it from hanging).
        assert "authentication" in str(err.value).lower(), str(err.value)
        assert os.environ["KAFKA_SASL_PASSWORD"] not in str(err.value)
    finally:
        os.environ.update(env)
