"""Fixtures shared by every test folder."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any

import pytest

from routellm_core.data.files import resolve_data_dir
from routellm_core.errors import DataError

# the shared helper modules of tests/, importable by name from every test folder (importlib
# import mode) as routellm_test_<stem>
for _stem in ("ladder_fakes", "fake_routers", "replay_checks"):
    _name = f"routellm_test_{_stem}"
    if _name not in sys.modules:
        _spec = importlib.util.spec_from_file_location(_name, Path(__file__).parent / f"{_stem}.py")
        assert _spec is not None and _spec.loader is not None
        sys.modules[_name] = importlib.util.module_from_spec(_spec)
        _spec.loader.exec_module(sys.modules[_name])


@pytest.fixture(scope="session")
def data_dir() -> Path:
    """The real data folder (../shared/data or $ROUTELLM_DATA_DIR); tests that need it skip,
    with the reason, where it is absent."""
    try:
        return resolve_data_dir()
    except DataError as exc:
        pytest.skip(f"real data not available: {exc}")


@pytest.fixture
def unwritable_recorder(tmp_path: Path) -> Any:
    """A TrafficRecorder whose log path is a directory: every write fails (and is counted)."""
    from routellm_core.routing.recorder import TrafficRecorder

    bad = tmp_path / "dir.jsonl"
    bad.mkdir()
    return TrafficRecorder(bad)
