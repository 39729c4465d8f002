"""Fixtures for the knowledge base: the shipped router, built once for the whole session."""

from __future__ import annotations

import pytest

from knowledge.loader import load_knowledge
from knowledge.router import Router


@pytest.fixture(scope="session")
def router() -> Router:
    return Router.build(load_knowledge())
