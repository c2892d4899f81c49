"""Shared test settings."""

import pytest
import torch


@pytest.fixture(autouse=True, scope="module")
def one_thread():
    """The test models are tiny: one intra-op thread avoids OpenMP waits, which on a shared
    2-core machine can make a step 10-100x slower."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)
