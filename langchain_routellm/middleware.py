"""A decision model for LangChain's ``ModelRouterMiddleware``: route an agent once per run.

``RouteLLMChat`` routes every model call. An agent built with ``create_agent`` may prefer to
choose its model once, from the user's request, and keep it for the whole run;
``ModelRouterMiddleware`` (langchain 1.5+, beta) does that with a *decision model*.
:class:`RouteLLMDecisionModel` is one, backed by the same routing engine as ``RouteLLMChat``:
it answers the middleware's ``Choice`` question with the label of the strong or the weak
model.

Example:
    >>> from langchain_core.decisions import Choice
    >>> clf = RouteLLMDecisionModel(router="random", strong_fraction=0.5)
    >>> out = clf.invoke({"state": "Prove Fermat's little theorem.", "questions": {
    ...     "model_route": Choice(instructions="Pick a model",
    ...                           criteria={"strong": "hard tasks", "weak": "easy tasks"})}})
    >>> out.choices["model_route"].choice in ("strong", "weak")
    True

With the middleware (``strong_model`` and ``weak_model`` are any chat models)::

    from langchain.agents import create_agent
    from langchain.agents.middleware import ModelChoice, ModelRouterMiddleware

    router = ModelRouterMiddleware(
        choices={
            "strong": ModelChoice(model=strong_model, criteria="hard requests"),
            "weak": ModelChoice(model=weak_model, criteria="everything else"),
        },
        instructions="Route to the cheapest model that will answer well.",
        classifier=RouteLLMDecisionModel(strong_fraction=0.3),
    )
    agent = create_agent(weak_model, tools, middleware=[router])
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from langchain_core.decisions import (
    BaseDecisionModel,
    Choice,
    ChoiceAnswer,
    ClassifierResponse,
    Noul,
    NoulAnswer,
    Question,
    State,
)
from langchain_core.messages import BaseMessage
from pydantic import ConfigDict, PrivateAttr, SkipValidation, model_validator
from typing_extensions import Self

from routellm_core.errors import DataError
from routellm_core.routing.decisions import RouteDecision, RoutingStats
from routellm_core.routing.engine import RoutingEngine
from routellm_core.routing.settings import OnRoute, RouterSpec, RoutingSettings, RoutingTextPolicy
from routellm_core.routing.turns import Turn

from .chat_models import messages_to_turns

__all__ = ["RouteLLMDecisionModel"]

#: the routing settings the decision model offers as fields (a subset of RoutingSettings: one
#: decision per agent run needs no sticky memory, momentum or traffic window); the labels
#: stand for the inner models' names
SETTING_FIELDS = ("router", "strong_fraction", "threshold", "routing_text", "on_router_error",
                  "on_route", "prices")


def _state_turns(state: State) -> tuple[list[Turn], Any]:
    """Turns (and the raw messages for a routing_text function) from a decision state."""
    if isinstance(state, str):
        return [Turn("user", state)], [state]
    if isinstance(state, BaseMessage):
        return messages_to_turns([state]), [state]
    items: Any = state
    if isinstance(items, Mapping) and isinstance(items.get("messages"), Sequence):
        items = items["messages"]
    if isinstance(items, Sequence) and all(isinstance(m, BaseMessage) for m in items):
        msgs: list[BaseMessage] = list(items)
        return messages_to_turns(msgs), msgs
    return [Turn("user", json.dumps(state, default=str, ensure_ascii=False))], [state]


class RouteLLMDecisionModel(BaseDecisionModel):
    """Answers ``Choice`` (and ``Noul``) questions with a RouteLLM router.

    Args:
        router, strong_fraction, threshold, routing_text, on_router_error, on_route, prices:
            as for :class:`~langchain_routellm.RouteLLMChat` (ignored when ``engine`` is
            given).
        engine: share a :class:`~routellm_core.routing.engine.RoutingEngine`, e.g.
            ``RouteLLMChat(...).engine``, so both count in the same statistics.
        strong_label, weak_label: the ``Choice`` labels meaning the strong and the weak
            model (the middleware's ``choices`` keys).

    Answers:
        * ``Choice`` with both labels among its criteria: the routed label; ``probabilities``
          holds the router's estimate that the strong model answers better (strong label)
          and its complement; ``confidence`` is the probability of the chosen label. The
          choice applies the calibrated threshold, so it can differ from the likelier label.
        * ``Noul``: the router's score, P(strong model's answer is better).

    Raises:
        DataError: a question of another type, or a ``Choice`` without the two labels.
    """

    model_config = ConfigDict(arbitrary_types_allowed=True)

    model: str = "routellm"
    # checked by the routing engine (routellm_core.routing.settings), as in RouteLLMChat
    router: SkipValidation[RouterSpec] = "default"
    strong_fraction: float | None = None
    threshold: float | None = None
    routing_text: SkipValidation[RoutingTextPolicy] = "last_user"
    on_router_error: Literal["strong", "weak"] = "strong"
    on_route: SkipValidation[OnRoute] = None
    prices: Mapping[str, Any] | None = None
    engine: RoutingEngine | None = None
    strong_label: str = "strong"
    weak_label: str = "weak"

    _engine: RoutingEngine = PrivateAttr()

    @model_validator(mode="after")
    def _build_engine(self) -> Self:
        if self.engine is not None:
            self._engine = self.engine
            return self
        settings = RoutingSettings(**{f: getattr(self, f) for f in SETTING_FIELDS},
                                   strong_name=self.strong_label, weak_name=self.weak_label)
        self._engine = RoutingEngine.from_settings(settings)
        return self

    @property
    def stats(self) -> RoutingStats:
        """The engine's statistics (decisions only: the middleware calls the models)."""
        return self._engine.stats

    @property
    def _provider(self) -> str:
        return "routellm"

    def _check(self, questions: dict[str, Question]) -> None:
        if not questions:
            raise DataError("no questions to answer: pass at least one Choice question")
        for qid, q in questions.items():
            if isinstance(q, Choice):
                missing = {self.strong_label, self.weak_label} - set(q.criteria)
                if missing:
                    raise DataError(
                        f"Choice question {qid!r} has labels {sorted(q.criteria)}; "
                        f"RouteLLMDecisionModel needs {self.strong_label!r} and "
                        f"{self.weak_label!r}: name the middleware's choices so, or pass "
                        "strong_label=/weak_label="
                    )
            elif not isinstance(q, Noul):
                raise DataError(
                    f"question {qid!r} is a {type(q).__name__}; RouteLLMDecisionModel answers "
                    "Choice and Noul questions only"
                )

    def _answer(self, d: RouteDecision, questions: dict[str, Question]) -> ClassifierResponse:
        p_strong = d.score if d.score is not None else (1.0 if d.route == "strong" else 0.0)
        p_strong = min(max(float(p_strong), 0.0), 1.0)
        answers: dict[str, Any] = {}
        for qid, q in questions.items():
            if not isinstance(q, Choice):  # a Noul (_check allows nothing else)
                answers[qid] = NoulAnswer(type="noul", noul=p_strong)
                continue
            probs = dict.fromkeys(q.criteria, 0.0)
            probs[self.strong_label] = p_strong
            probs[self.weak_label] = 1.0 - p_strong
            label = self.strong_label if d.route == "strong" else self.weak_label
            answers[qid] = ChoiceAnswer(
                type="choice", choice=label, probabilities=probs, confidence=probs[label]
            )
        return ClassifierResponse(model=self.model, answers=answers)

    def _classify(self, state: State, questions: dict[str, Question]) -> ClassifierResponse:
        self._check(questions)
        turns, raw = _state_turns(state)
        return self._answer(self._engine.decide_turns(turns, raw=raw), questions)

    async def _aclassify(
        self, state: State, questions: dict[str, Question]
    ) -> ClassifierResponse:
        self._check(questions)
        turns, raw = _state_turns(state)
        return self._answer(await self._engine.adecide_turns(turns, raw=raw), questions)
