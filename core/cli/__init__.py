"""The ``routellm`` command line: one module per group of subcommands.

* :mod:`routellm_core.cli.main`: the entry point (``routellm``), dispatch and error handling.
* ``eval``: ``routellm eval``; ``train``: ``routellm train | calibrate | route``; ``adapt``:
  ``routellm battles`` and ``routellm train --init``; ``ladder``: ``routellm ladder``;
  :mod:`routellm_core.cli.demo`: ``routellm demo``.

The top of the house: it may use every kit and the runtime; nothing imports it.
``python -m routellm_core.cli`` runs the same entry point.
"""
