"""Adapting a trained router to a user's own labelled traffic, instead of training from zero.

:func:`adapt_router` starts from a trained router (the shipped default or a checkpoint) and
adds the user's battles (``routellm battles --from-log``) with a weight. The general
preference data the router was trained on is *not* needed (and in general not available at
adaptation time); what adaptation means depends on the router type:

* ``irt``: continued training. Starting from the router's own parameters, full-batch Adam
  (``steps`` steps) minimises ``weight`` times the mean loss on the user's battles (and
  outcome tables) plus ``anchor`` times the squared distance of every parameter from its
  initial value: an L2 pull that stands in for the training data it no longer sees. The
  feature standardisation and source offsets are kept; ``train`` limits which parameters
  move (``"all"``, ``"models"``: the per-model vectors and abilities only, or
  ``"projection"``: the text-to-profile map only).
* ``knn``: the user's labelled prompts are added as neighbours, each with the user weight
  (a neighbour's similarity is multiplied by its weight); ``k`` is kept.
* ``ensemble`` (the shipped default): each member that can be adapted (``irt``, ``knn``) is
  adapted as above. The others (``mf`` in the default) cannot learn from your labels: once
  the calibration table is refitted on your prompts (:data:`MIN_CALIBRATION_PROMPTS` on),
  their blend weight becomes 0 (``keep_frozen=True`` keeps them); with fewer prompts the
  blend stays as trained.
* other router types (``sw_ranking``, ``mf``, the classifiers) are not adapted in this
  release: :func:`adapt_router` says so and names the fix (retrain with the battles added).

With no user battles the adapted router is the initial router: its scores are the same,
bit for bit. With at least :data:`MIN_CALIBRATION_PROMPTS` user prompts, the calibration
table is refitted on them (``strong_fraction`` then means the share of *your* traffic).

Example:
    >>> from routellm_core.records import Battle, Battles, OutcomeTable, TrainingData
    >>> from routellm_core.scoring.embeddings import HashingEmbedder
    >>> from routellm_core.routers.irt import IRTRouter
    >>> t = OutcomeTable(["add 2 and 2", "prove it"], {"big": [1.0, 1.0], "small": [1.0, 0.0]})
    >>> r = IRTRouter("big", "small", HashingEmbedder(32), epochs=20).fit(TrainingData(tables=[t]))
    >>> same = adapt_router(r, Battles([]))
    >>> bool((same.predict_win_rate(["prove it"]) == r.predict_win_rate(["prove it"])).all())
    True
    >>> mine = Battles([Battle("prove it", "big", "small", "model_a")])
    >>> adapt_router(r, mine, steps=10).adaptation_["battles"]
    1
"""

from __future__ import annotations

import contextlib
import copy
import logging
from collections import Counter
from collections.abc import Iterator
from typing import TYPE_CHECKING, Any

import numpy as np

from ..errors import DataError, unknown_name
from ..records import Battles, TrainingData

if TYPE_CHECKING:
    from ..routers.base import Router

__all__ = ["adapt_router", "battles_from_traffic", "ADAPTABLE_ROUTERS", "MIN_CALIBRATION_PROMPTS",
           "TRAIN_PARTS", "USER_SOURCE"]

logger = logging.getLogger(__name__)

#: router types :func:`adapt_router` adapts
ADAPTABLE_ROUTERS = ("irt", "knn", "ensemble")
#: which IRT parameters move (``train=``)
TRAIN_PARTS = ("all", "models", "projection")
#: the calibration table is refitted on the user's prompts from this many on
MIN_CALIBRATION_PROMPTS = 20


def adapt_router(
    router: Router,
    data: Battles | TrainingData,
    *,
    weight: float = 1.0,
    steps: int = 200,
    lr: float | None = None,
    anchor: float = 1e-2,
    train: str = "all",
    calibration_prompts: list[str] | None = None,
    keep_frozen: bool = False,
) -> Router:
    """A copy of ``router`` adapted to the user's battles (the input is not changed).

    Args:
        router: a trained ``irt`` or ``knn`` router.
        data: the user's battles (or, for ``irt``, battles and per-model outcome tables).
        weight: how much the user's data counts (irt: against the anchor; knn: each added
            neighbour's weight).
        steps: Adam steps (irt).
        lr: Adam learning rate (irt; default: the router's own ``lr``).
        anchor: strength of the L2 pull toward the initial parameters (irt).
        train: which irt parameters move: ``"all"``, ``"models"`` or ``"projection"``.
        calibration_prompts: prompts to refit the calibration table on (default: the user's
            prompts; refitted only from :data:`MIN_CALIBRATION_PROMPTS` prompts on).
        keep_frozen: ensembles only: keep the members that cannot adapt (``mf`` in the
            default) in the blend. By default, once the calibration table is refitted on your
            prompts, their weight becomes 0, so the router is the one your labels moved; with
            fewer prompts the blend is kept as trained.

    Returns:
        The adapted router; ``adaptation_`` holds a summary (battles, prompts, settings,
        whether the calibration was refitted).

    Raises:
        DataError: the router type cannot be adapted, a setting is invalid, or the battles
            name a model the router does not know (the message lists the known ones).
    """
    router.check_is_fitted()
    if router.name not in ADAPTABLE_ROUTERS:
        raise DataError(
            f"adapting a {router.name!r} router is not supported (adaptable: "
            f"{', '.join(ADAPTABLE_ROUTERS)}); retrain it with your battles as an extra source "
            "instead, or adapt the default router"
        )
    if not np.isfinite(weight) or weight <= 0:
        raise DataError(f"weight must be a positive number, got {weight}")
    if int(steps) < 0 or not np.isfinite(anchor) or anchor < 0:
        raise DataError(f"steps and anchor must be non-negative, got steps={steps}, anchor={anchor}")
    if train not in TRAIN_PARTS:
        raise unknown_name("train", train, TRAIN_PARTS)
    td = data if isinstance(data, TrainingData) else TrainingData(battles=data)
    new: Any = _copy(router)
    prompts = td.prompts()
    if len(td.battles) == 0 and not any(len(t) for t in td.tables):
        new.adaptation_ = _summary(td, weight, steps, anchor, train, refit=False)
        return new  # nothing to learn from: the initial router, bit for bit
    members = new.members_ if router.name == "ensemble" else [new]
    adaptable = [m for m in members if m.name in ("irt", "knn")]
    if not adaptable:
        raise DataError("none of this ensemble's members can be adapted (adaptable: irt, knn); "
                        "retrain it with your battles as an extra source instead")
    # the irt members' input rows of the user's prompts: adapting moves weights only, so the
    # calibration refit below reads these instead of featurising the same prompts again
    features: list[tuple[Any, np.ndarray]] = []
    for member in adaptable:
        if member.name == "irt":
            x = _adapt_irt(member, td, weight=weight, steps=int(steps),
                           lr=float(lr if lr is not None else getattr(member, "lr", 0.02)),
                           anchor=float(anchor), train=train)
            features.append((member, x))
        else:
            if td.tables:
                raise DataError("knn adapts from battles only; turn outcome tables into "
                                "battles (OutcomeTable.to_battles())")
            _adapt_knn(member, td.battles, weight=weight)
    cal = calibration_prompts if calibration_prompts is not None else prompts
    refit = len(cal) >= MIN_CALIBRATION_PROMPTS
    dropped: list[str] = []
    if router.name == "ensemble" and refit and not keep_frozen:
        # a member that cannot learn from the labels would keep pulling the score back to its
        # general-data ranking; the table is refitted below, so the blend can change
        new.weights = [w if m in adaptable else 0.0 for m, w in zip(members, new.weights,
                                                                     strict=True)]
        dropped = [m.name for m in members if m not in adaptable]
    if refit:
        from ..routers.pair import pair_calibration
        from ..scoring.calibration import calibration_table

        with _known_features(features, prompts):
            new.calibration_ = calibration_table(new, cal, "user prompts")
            new.pair_calibration_ = pair_calibration(new, cal, "user prompts")
    else:
        logger.warning("kept the initial calibration table: %d user prompts are fewer than %d",
                       len(cal), MIN_CALIBRATION_PROMPTS)
    new.adaptation_ = _summary(td, weight, steps, anchor, train, refit=refit)
    if router.name == "ensemble":
        new.adaptation_["members_dropped"] = dropped
    return new


def _summary(td: TrainingData, weight: float, steps: int, anchor: float, train: str,
             *, refit: bool) -> dict[str, Any]:
    return {"battles": len(td.battles), "table_rows": sum(len(t) for t in td.tables),
            "prompts": len(td.prompts()), "weight": weight, "steps": int(steps),
            "anchor": anchor, "train": train, "calibration_refitted": refit}


def _copy(router: Router) -> Router:
    """A copy sharing the (large, read-only) embedders, with its own arrays."""
    memo: dict[int, Any] = {}
    for r in [router, *getattr(router, "members_", [])]:
        emb = getattr(r, "embedder", None)
        if emb is not None:
            memo[id(emb)] = emb
    return copy.deepcopy(router, memo)


@contextlib.contextmanager
def _known_features(features: list[tuple[Any, np.ndarray]], prompts: list[str]
                    ) -> Iterator[None]:
    """While open, each irt member answers ``_prompt_features(prompts)`` with its known rows
    (other prompts are featurised as usual)."""
    key = tuple(prompts)
    for member, x in features:
        def known(texts: list[str], member: Any = member, x: np.ndarray = x) -> np.ndarray:
            if tuple(texts) == key:
                return x
            return type(member)._prompt_features(member, texts)

        member._prompt_features = known  # an instance attribute, deleted on the way out
    try:
        yield
    finally:
        for member, _ in features:
            del member._prompt_features


def _adapt_knn(router: Any, battles: Battles, *, weight: float) -> None:
    prompts, labels, _ = router.prompt_labels(battles)
    if not prompts:
        raise DataError(f"knn: none of your battles compares {router.strong_model!r} with "
                        f"{router.weak_model!r}; nothing to add")
    from ..scoring.embeddings import l2_normalize

    emb = l2_normalize(router.embed(prompts)).astype(np.float32)
    old_w = router.neighbour_weights()
    router.prompt_embeddings_ = np.vstack([router.prompt_embeddings_, emb])
    router.labels_ = np.concatenate([router.labels_, labels])
    router.neighbour_weights_ = np.concatenate([old_w, np.full(len(prompts), float(weight))])


def _adapt_irt(router: Any, td: TrainingData, *, weight: float, steps: int, lr: float,
               anchor: float, train: str) -> np.ndarray:
    """Moves ``router``'s ``train`` parameters toward the user's data; returns the input rows
    of ``td.prompts()`` (unchanged by adapting)."""
    import torch

    prompts = td.prompts()
    pos = {p: i for i, p in enumerate(prompts)}
    mpos = {m: i for i, m in enumerate(router.models_)}
    for m in td.models():
        if m not in mpos:
            raise DataError(f"your battles name the model {m!r}, which the router was not "
                            f"trained on (it knows {', '.join(router.models_)}); write the "
                            "battles with the router's names (routellm battles --as-strong NAME "
                            "--as-weak NAME)")
    from ..routers.irt import observations

    obs = observations(td, pos, mpos, ())  # user tables: the average source level (offset 0)
    pi, mi, y, w = obs.pi, obs.mi, obs.y, obs.w
    qi, ai, bi, y2, w2 = obs.qi, obs.ai, obs.bi, obs.y2, obs.w2
    total = float(w.sum() + w2.sum())
    if total <= 0:
        raise DataError("your battles all have weight 0: nothing to adapt to")
    x = router._prompt_features(prompts)

    threads = torch.get_num_threads()
    torch.set_num_threads(1)  # reproducible sums, as in training
    try:
        hidden = ("hidden_weight_", "hidden_bias_") if getattr(router, "hidden", 0) else ()
        linear = ("feature_projection_",) if router._split_features else ()
        pnames = (*hidden, *linear, "projection_", "projection_bias_", "model_vectors_",
                  "model_bias_")
        init = {n: torch.from_numpy(np.array(getattr(router, n), dtype=np.float64)) for n in pnames}
        # "projection" moves everything between the text and the latent profile
        moving: tuple[str, ...] = {"all": pnames, "models": pnames[-2:],
                                   "projection": pnames[:-2]}[train]
        params = {n: (torch.nn.Parameter(init[n].clone()) if n in moving else init[n])
                  for n in pnames}
        opt = torch.optim.Adam([params[n] for n in moving], lr=lr)
        x_hidden, x_linear = router.split_input(x)
        xt = torch.from_numpy(np.ascontiguousarray(x_hidden, dtype=np.float64))
        ft = torch.from_numpy(np.ascontiguousarray(x_linear, dtype=np.float64))
        t_pi, t_mi, t_qi, t_ai, t_bi = (torch.from_numpy(a) for a in (pi, mi, qi, ai, bi))
        t_y, t_w, t_y2, t_w2 = (torch.from_numpy(a) for a in (y, w, y2, w2))
        bce = torch.nn.functional.binary_cross_entropy_with_logits
        proj, proj_b = params["projection_"], params["projection_bias_"]
        vec, ability = params["model_vectors_"], params["model_bias_"]
        hid = params["hidden_weight_"] if hidden else None
        hid_b = params["hidden_bias_"] if hidden else None
        lin = params["feature_projection_"] if linear else None
        for _ in range(steps):
            h = torch.relu(xt @ hid.T + hid_b) if hid is not None and hid_b is not None else xt
            z = h @ proj.T + proj_b + (ft @ lin.T if lin is not None else 0.0)
            loss = torch.zeros((), dtype=torch.float64)
            if len(y):  # user tables: the average source level (offset 0)
                logit = ability[t_mi] + (vec[t_mi] * z[t_pi]).sum(1)
                loss = loss + bce(logit, t_y, weight=t_w, reduction="sum")
            if len(y2):
                diff = ability[t_ai] - ability[t_bi] + ((vec[t_ai] - vec[t_bi]) * z[t_qi]).sum(1)
                loss = loss + bce(diff, t_y2, weight=t_w2, reduction="sum")
            pull = sum(((params[n] - init[n]) ** 2).sum() for n in moving)
            loss = weight * loss / total + anchor * pull
            opt.zero_grad()
            loss.backward()
            opt.step()
        for n in moving:
            setattr(router, n, params[n].detach().numpy().copy())
    finally:
        torch.set_num_threads(threads)
    return x


# --------------------------------------------------------------------------------------------
# Recorded traffic to battles
# --------------------------------------------------------------------------------------------
#: the source name of battles made from a user's log
USER_SOURCE = "user"


def battles_from_traffic(
    log: Any,
    *,
    strong: str | None = None,
    weak: str | None = None,
    as_strong: str | None = None,
    as_weak: str | None = None,
) -> tuple[Battles, dict[str, int]]:
    """Battles from a labelled traffic log (:func:`~routellm_core.evaluation.traffic.load_traffic`).

    The rule (``docs/adapt.md``):

    * Records are grouped by run id (a served answer and its shadow answer), or by prompt in
      a log without run ids (a replay log with both models' answers).
    * Each record is on the strong or the weak side: its ``route`` when recorded, else its
      model name equal to ``strong`` or ``weak``.
    * Both sides labelled with the same kind of signal: the higher outcome wins, equal
      outcomes tie (several answers on one side: their mean).
    * Only one side labelled, with a yes/no signal (``correct`` or ``thumbs``, or a 0/1
      outcome): a good weak answer is a tie (the weak model was enough), a bad weak answer a
      strong win; a bad strong answer is a tie (paying for the strong model did not help); a
      good strong answer says nothing about the weak model and is skipped. A lone grade is
      skipped (a grade needs the other answer's grade).
    * Battles are between ``as_strong`` and ``as_weak``: the names the router being adapted
      knows (default: the names in the log).

    Returns:
        ``(battles, counts)``: counts of runs by what became of them.

    Raises:
        DataError: a record's model is neither the strong nor the weak model and has no
            route (the message names the file and line and the fix).
    """
    from ..defaults import STRONG_MODEL, WEAK_MODEL
    from ..records import Battle

    groups: dict[str, list[tuple[str, Any]]] = {}
    for r in log.records:
        side = r.route
        if side is None:
            if strong is not None and r.model == strong:
                side = "strong"
            elif weak is not None and r.model == weak:
                side = "weak"
            else:
                pair = (f"the strong model {strong!r} or the weak model {weak!r}"
                        if strong or weak else "named: the log has no 'route' field")
                raise DataError(
                    f"{log.path}:{r.line}: unknown model {r.model!r}: not {pair}; pass "
                    "--strong NAME --weak NAME (the model names of your log)")
        key = r.run_id if r.run_id is not None else "prompt:" + r.prompt
        groups.setdefault(key, []).append((side, r))
    s_name = as_strong or strong or STRONG_MODEL
    w_name = as_weak or weak or WEAK_MODEL
    if as_strong is None and strong is None or as_weak is None and weak is None:
        for rs in groups.values():  # recorded names, when the log has them
            for _, r in rs:
                s_name = as_strong or strong or r.extra.get("strong_model") or s_name
                w_name = as_weak or weak or r.extra.get("weak_model") or w_name
                break
            break
    counts: Counter[str] = Counter()
    out: list[Battle] = []
    for rs in groups.values():
        lab = [(side, r) for side, r in rs if r.outcome is not None]
        if not lab:
            counts["unlabelled"] += 1
            continue
        prompt = lab[0][1].prompt
        by_side: dict[str, list[float]] = {}
        kinds: dict[str, set[str | None]] = {}
        for side, r in lab:
            by_side.setdefault(side, []).append(float(r.outcome))
            kinds.setdefault(side, set()).add(r.kind)
        winner: str | None
        if len(by_side) == 2 and kinds["strong"] == kinds["weak"] and len(kinds["strong"]) == 1:
            s, w = np.mean(by_side["strong"]), np.mean(by_side["weak"])
            winner = "model_a" if s > w else "model_b" if w > s else "tie"
            counts["both graded"] += 1
        else:
            side, r = lab[0]
            binary = r.kind in ("correct", "thumbs") or (r.kind is None and r.outcome in (0.0, 1.0))
            if not binary:
                counts["skipped: lone grade"] += 1
                continue
            good = float(r.outcome) >= 0.5
            if side == "weak":
                winner = "tie" if good else "model_a"
            elif not good:
                winner = "tie"
            else:
                counts["skipped: good strong answer"] += 1
                continue
            counts[f"one {side} answer"] += 1
        out.append(Battle(prompt, s_name, w_name, winner, USER_SOURCE))  # type: ignore[arg-type]
    return Battles(out), dict(counts)
