"""A service over the shipped sample list, with a key of the role a test needs."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from counterflow.api import create_app
from counterflow.api.keys import KeyStore, Role
from counterflow.cli.demo_cmd import sample_list_path
from counterflow.lists import store
from counterflow.workspace import Workspace

ClientFactory = Callable[[Role], AbstractContextManager[TestClient]]


@pytest.fixture
def client_with(home: Path) -> ClientFactory:
    """``with client_with(Role.SCREEN) as client``: the sample list imported, a key of that
    role sent on every request, no background polling."""
    store.import_list(Workspace(home), sample_list_path())

    @contextmanager
    def make(role: Role) -> Iterator[TestClient]:
        _, key = KeyStore(home).create(f"tests ({role})", role)
        workspace = Workspace(home)
        app = create_app(workspace, workspace.settings.with_(reload_seconds=0))
        with TestClient(app, headers={"Authorization": f"ApiKey {key}"}) as client:
            yield client

    return make
