"""A griffe extension for the API reference: reST habits in the docstrings, read as Markdown.

The code's docstrings follow the Google style with reST inline roles (``:class:`x.y```) and
``Example:`` headings. For mkdocstrings this extension, at load time:

* renames ``Example:`` to ``Examples:``, so doctest blocks render as code rather than text;
* turns ``:class:`~pkg.mod.Name``` (and ``:func:``, ``:meth:``, ``:mod:``, ...) into autorefs
  links when the target is fully qualified in one of this project's packages (an unknown
  target then fails the strict build: broken-link checking for the API pages too), and into
  code spans otherwise.
"""

from __future__ import annotations

import re
from typing import Any

import griffe

_EXAMPLE = re.compile(r"^(\s*)Example:\s*$", re.MULTILINE)
_ROLE = re.compile(r":(?:class|func|meth|mod|attr|data|exc|obj|const):`(~?)([^`]+)`")
_PACKAGES = ("routellm_core.", "langchain_routellm.", "llamaindex_routellm.")


def _role(match: re.Match[str]) -> str:
    tilde, target = match.group(1), match.group(2).strip()
    label = target.rsplit(".", 1)[-1] if tilde else target
    if target.startswith(_PACKAGES):
        return f"[`{label}`][{target}]"
    return f"`{label}`"


def convert(text: str) -> str:
    """Apply both rewrites to one docstring."""
    return _ROLE.sub(_role, _EXAMPLE.sub(r"\1Examples:", text))


class RstToMarkdown(griffe.Extension):
    """Rewrite each docstring once, when its object is loaded."""

    def on_instance(self, *, node: Any, obj: griffe.Object, agent: Any, **kwargs: Any) -> None:
        if obj.docstring is not None:
            obj.docstring.value = convert(obj.docstring.value)
