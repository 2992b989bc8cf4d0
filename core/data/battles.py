"""Battles, outcome tables and training sets, as the data kit hands them out.

The records themselves are the core's data model (:mod:`routellm_core.records`), which the
routers import too; this module keeps their old import path (``routellm_core.data.battles``),
so code and pickles written against it still work.

Example:
    >>> from routellm_core.data.battles import Battle, Battles
    >>> Battles([Battle("2+2?", "gpt-4", "mixtral", "model_a")]).models()
    ['gpt-4', 'mixtral']
"""

from __future__ import annotations

from ..records import Battle, Battles, OutcomeTable, TrainingData, Winner, battles_from_outcomes

__all__ = ["Winner", "Battle", "Battles", "battles_from_outcomes", "OutcomeTable", "TrainingData"]
