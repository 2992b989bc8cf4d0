"""The training kit: configs, training sets and training runs for the learned routers.

* :mod:`routellm_core.training.config`: the training config (``routellm train --config``),
  its defaults per router, the model alias tables.
* :mod:`routellm_core.training.sets`: training sets from several sources, weighted, aliased and
  decontaminated, with a report.
* :mod:`routellm_core.training.decontamination`: dropping training prompts too close to an
  evaluation prompt.
* :mod:`routellm_core.training.runs`: a config to a trained, calibrated router (and the cache of
  trained routers).
* :mod:`routellm_core.training.adapt`: adapting a trained router to a user's own battles.
* :mod:`routellm_core.training.progress`: stage lines and progress bars for the kits and the
  command line.
* ``routellm_core.training._torch_loop``: the classifier routers' fine-tuning loop (imported by
  their ``fit``).

An offline kit: it reads data with :mod:`routellm_core.data` and fits the runtime's routers;
routing a prompt never imports it.
"""
