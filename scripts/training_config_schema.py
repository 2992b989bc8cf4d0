"""The training config's JSON schema: print it, or write it into docs/training.md.

    python scripts/training_config_schema.py            # print the schema
    python scripts/training_config_schema.py --write    # refresh the copy in docs/training.md

The schema is ``TrainingConfig.model_json_schema()`` (``routellm_core.training.config``);
``tests/core/training/test_config.py`` fails when the copy in the guide differs from it.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from routellm_core.training.config import TrainingConfig

GUIDE = Path(__file__).resolve().parents[1] / "docs" / "training.md"
START = "<!-- training-config-schema: start (python scripts/training_config_schema.py --write) -->"
END = "<!-- training-config-schema: end -->"


def render() -> str:
    """The schema as the guide shows it: a JSON code block between the two markers."""
    schema = json.dumps(TrainingConfig.model_json_schema(), indent=2, ensure_ascii=False)
    return f"{START}\n```json\n{schema}\n```\n{END}"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--write", action="store_true", help=f"refresh the copy in {GUIDE}")
    args = parser.parse_args()
    if not args.write:
        print(json.dumps(TrainingConfig.model_json_schema(), indent=2, ensure_ascii=False))
        return
    text = GUIDE.read_text(encoding="utf-8")
    start, end = text.index(START), text.index(END) + len(END)
    GUIDE.write_text(text[:start] + render() + text[end:], encoding="utf-8")
    print(f"wrote the schema into {GUIDE}")


if __name__ == "__main__":
    main()
