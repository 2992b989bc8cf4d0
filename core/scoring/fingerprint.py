"""A short fingerprint of a router's checkpoint, so records can tell routers apart.

Two routers of one type (the shipped default and an adapted copy of it) share a name; the
traffic recorder writes :func:`router_fingerprint` beside the name (``router_id``), so a log
says which one decided. The fingerprint is a hash of what the checkpoint would hold: the
router's name, its hyperparameters, its learned state and tensors, its calibration table and,
for an ensemble, its members' fingerprints. Saving and loading keeps it; adapting, refitting
or re-calibrating changes it.

Example:
    >>> from routellm_core.routers.random import RandomRouter
    >>> router_fingerprint(RandomRouter()) == router_fingerprint(RandomRouter())
    True
    >>> len(router_fingerprint(RandomRouter()))
    12
"""

from __future__ import annotations

import hashlib
import json
import threading
import weakref
from typing import Any

import numpy as np

__all__ = ["router_fingerprint"]

_CACHE: weakref.WeakKeyDictionary[Any, str] = weakref.WeakKeyDictionary()
_LOCK = threading.Lock()


def router_fingerprint(router: Any, *, length: int = 12) -> str:
    """The first ``length`` hex digits of the SHA-256 of the router's checkpoint content.

    Computed once per router object (routers do not change while they route) and cached;
    ``"?"`` for an object that is not a router this library can save (a user's duck-typed
    scorer), rather than an error in the middle of a call.
    """
    with _LOCK:
        try:
            hit = _CACHE.get(router)
        except TypeError:  # not weak-referenceable or not hashable
            hit = None
    if hit is not None:
        return hit[:length]
    try:
        digest = _digest(router)
    except Exception:  # recording must never break a call: an unknown object gets "?"
        return "?"
    with _LOCK:
        try:
            _CACHE[router] = digest
        except TypeError:
            pass
    return digest[:length]


def _digest(router: Any) -> str:
    h = hashlib.sha256()
    meta, tensors = router._get_state()
    params = {k: v for k, v in router.get_params().items()
              if k not in getattr(router, "runtime_params", ())}
    head = {"router": router.name, "params": params, "state": meta,
            "calibration": getattr(router, "calibration_", None)}
    h.update(json.dumps(head, sort_keys=True, default=repr).encode("utf-8"))
    for name in sorted(tensors):
        arr = np.ascontiguousarray(tensors[name])
        h.update(name.encode("utf-8"))
        h.update(str(arr.dtype).encode("ascii") + repr(arr.shape).encode("ascii"))
        h.update(arr.tobytes())
    for member in getattr(router, "members_", None) or ():
        h.update(_digest(member).encode("ascii"))
    return h.hexdigest()
