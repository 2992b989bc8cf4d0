"""Fixtures shared by every test folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from routellm_core.data import resolve_data_dir
from routellm_core.errors import DataError


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (../shared/data or $ROUTELLM_DATA_DIR); tests that need it skip,
    with the reason, where it is absent."""
    try:
        return resolve_data_dir()
    except DataError as exc:
        pytest.skip(f"real data not available: {exc}")
