# SPDX-License-Identifier: MIT
"""Fixtures of the Slurm tests: one real one-node Slurm cluster for the whole
session (slurm_cluster.py), started and stopped here by PID, and a `jobs`
helper per test that submits the scripts of jobs/ and cancels what is left.

CTest passes the gradsweep binary through the environment (tests/CMakeLists.txt);
by hand:
    GRADSWEEP=build/gradsweep /usr/bin/python3 -m pytest tests/slurm
"""
import time
from pathlib import Path

import pytest

from slurm_cluster import Cluster
from slurm_jobs import Jobs


@pytest.fixture(scope="session")
def cluster(tmp_path_factory):
    root = Path(tmp_path_factory.mktemp("slurm"))
    c = Cluster(root)
    started = time.monotonic()
    c.start()
    print(f"\nslurm: cluster up in {time.monotonic() - started:.1f} s ({root})")
    yield c
    c.stop()


@pytest.fixture
def jobs(cluster, tmp_path):
    j = Jobs(cluster, tmp_path)
    yield j
    j.cancel_all()
