from __future__ import annotations

import pytest

from storage.database import Database
from tests.integration.world import World, build_world


@pytest.fixture
async def world(db: Database) -> World:
    return await build_world(db)
