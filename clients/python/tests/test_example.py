"""The example's stand-in policy (the loop itself needs the apps: see test_e2e.py for a loop on the broker)."""
import importlib.util
import math
from pathlib import Path

spec = importlib.util.spec_from_file_location("online_dpo", Path(__file__).resolve().parents[1] / "examples" / "online_dpo.py")
online_dpo = importlib.util.module_from_spec(spec)
spec.loader.exec_module(online_dpo)


def test_stand_in_policy_dpo_steps_lower_the_loss_and_vectors_are_unit():
    policy = online_dpo.StandInPolicy(seed=1, d=16)
    before = policy.loss("good", "bad")
    for _ in range(20):
        policy.step("good", "bad")
    assert policy.loss("good", "bad") < before == math.log(2)
    v = policy.vector("p", "a", "b")
    assert len(v) == 16 and abs(sum(x * x for x in v) - 1) < 1e-12
    assert v == policy.vector("p", "a", "b")
