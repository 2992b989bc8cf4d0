"""What the routers score with, beside ``routers/``: calibration (thresholds from tables or
from traffic), the embedders (hashing, the shipped static tables, MiniLM), the surface text
features, the Bradley-Terry fits and a router's fingerprint.

Importing this package loads none of its modules; import them by name
(``routellm_core.scoring.calibration``).
"""

__all__: list[str] = []
