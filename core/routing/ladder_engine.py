"""The routing engine of a model ladder: the wrappers' ``models={...}`` mode.

A ladder is routed by the one :class:`~routellm_core.routing.engine.RoutingEngine` with the ladder
chooser (:class:`~routellm_core.routing.choosers.LadderChooser`); :class:`LadderEngine` is that engine
built from the ladder's settings. This module keeps the names of the previous release.

Example:
    >>> from routellm_core.routers.random import RandomRouter
    >>> engine = LadderEngine(RandomRouter("big", "small"), ["big", "small"],
    ...                       prices={"big": (10, 30), "small": (0.5, 1.5)}, tolerance=0.1)
    >>> engine.decide("What is the capital of France?").route in ("big", "small")
    True
"""

from __future__ import annotations

from .decisions import LadderDecision, LadderStats
from .engine import LadderEngine
from .settings import LADDER_SETTINGS, LadderSettings, check_knob_value

__all__ = ["LadderDecision", "LadderStats", "LadderEngine", "LADDER_SETTINGS", "check_knob_value"]

#: the settings of ladder engines pickled by the previous release
_LadderSettings = LadderSettings
