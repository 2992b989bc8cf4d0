"""The evaluation kit: how well routers route, offline.

* :mod:`routellm_core.evaluation.metrics`: the paper's metrics (PGR, APGR, CPT, AUC) on
  arrays, knowing nothing about routers.
* :mod:`routellm_core.evaluation.evaluate`: routers scored on benchmark sets, the random
  baseline, tables and plots.
* :mod:`routellm_core.evaluation.replay`: replay logs (recorded answers, for running a real
  chain over recorded traffic) and their builders from the RouteLLM data.
* :mod:`routellm_core.evaluation.traffic`: reading a recorded traffic log with its feedback.
* :mod:`routellm_core.evaluation.replay_report`: the strong-fraction sweep over a replayed run
  that the demo and both framework parts share.
* :mod:`routellm_core.evaluation.ladder_eval`: the cross-validated cost-ladder evaluation.

An offline kit: it loads data sets with :mod:`routellm_core.data`, trains with
:mod:`routellm_core.training` where an evaluation needs a fresh router (the ladder), and scores
the runtime's routers; routing a prompt never imports it.
"""
