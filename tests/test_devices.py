"""CPU threads of torch and numba."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest

from motifnet.devices import available_cores

PROBE = """
import json, os
from motifnet.devices import set_cpu_threads
set_cpu_threads(1)
env = os.environ.get("NUMBA_NUM_THREADS")
set_cpu_threads(2)
import numba, torch
print(json.dumps([env, numba.get_num_threads(), torch.get_num_threads()]))
"""


@pytest.mark.skipif(available_cores() < 2, reason="needs 2 usable cores")
@pytest.mark.parametrize("user_value", [None, "2"])
def test_set_cpu_threads_can_raise_numbas_threads_again_and_keeps_the_users_setting(user_value):
    env = {key: value for key, value in os.environ.items() if key != "NUMBA_NUM_THREADS"}
    if user_value is not None:
        env["NUMBA_NUM_THREADS"] = user_value
    out = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, check=True).stdout
    assert json.loads(out.strip().splitlines()[-1]) == [user_value, 2, 2]  # numba not yet imported at the first call
