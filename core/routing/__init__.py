"""The routed call: the engine, its choosers, the routing text, decisions and statistics,
conversation memory, the settings, the pair a router scores, the ladder's policy, the call run
on the decided route (``dispatch``) and the opt-in traffic recorder.

Importing this package loads none of its modules; import them by name
(``routellm_core.routing.engine``), or the public names from ``routellm_core``.
"""

__all__: list[str] = []
