"""The data kit: what routers learn from and are evaluated on, and the readers of the data.

* :mod:`routellm_core.data.files`: finding the data directory, reading JSON lines and prompt
  files.
* :mod:`routellm_core.data.battles`: battles and outcome tables (what routers learn from).
* :mod:`routellm_core.data.benchmarks`: benchmark sets and their loaders (MT-Bench, MMLU,
  GSM8K, the difficulty check), the arena-bench-v1 questions, grades and answers.
* :mod:`routellm_core.data.sources`: the training sources, read as battles or outcome tables,
  and the calibration prompt sets.
* :mod:`routellm_core.data.extracts`: the readers of the six newer extracts (llmrouter,
  theoremqa, qlora-oa, arena-hard-v0.1, simpleqa, routerarena).
* :mod:`routellm_core.data.overlap`: the same question in two sources (kept once in training).
* :mod:`routellm_core.data.pairs`: one strong/weak pair's outcomes on a source, prompt by
  prompt (:func:`~routellm_core.data.pairs.pair_outcomes`, for scoring a router on it).

An offline kit: routing a prompt never imports it (a router imports the battle types when it
is fitted). It uses the runtime (errors, the default model pair), never the training or
evaluation kits.
"""
