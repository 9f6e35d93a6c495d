"""A real API server per test module (module-scoped) for the client's integration tests."""

import signal

import pytest

from tests.conftest import start_cluster


@pytest.fixture(scope="module")
def kyb(tmp_path_factory):
    c = start_cluster(tmp_path_factory.mktemp("kyb-client"))
    yield c
    c.stop()
    if c.proc.returncode not in (0, -signal.SIGTERM):
        print(c.log.read_text()[-4000:])
