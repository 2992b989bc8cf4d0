"""Fixtures shared by every test folder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from routellm_core.data.files import resolve_data_dir
from routellm_core.errors import DataError

# tests/ladder_fakes.py, importable by name from every test folder (importlib import mode)
_FAKES = "routellm_test_ladder_fakes"
if _FAKES not in sys.modules:
    _spec = importlib.util.spec_from_file_location(_FAKES, Path(__file__).parent / "ladder_fakes.py")
    assert _spec is not None and _spec.loader is not None
    sys.modules[_FAKES] = importlib.util.module_from_spec(_spec)
    _spec.loader.exec_module(sys.modules[_FAKES])


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (../shared/data or $ROUTELLM_DATA_DIR); tests that need it skip,
    with the reason, where it is absent."""
    try:
        return resolve_data_dir()
    except DataError as exc:
        pytest.skip(f"real data not available: {exc}")
