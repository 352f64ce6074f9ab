"""Compiling all rules into one multi-pattern matcher and running it over bytes.

`Engine` (matcher.py) is the entry point; `ruleset.load_rules` turns rule files
into validated `Rule` values.
"""

from __future__ import annotations

from scanner.engine.matcher import Engine, RuleHit
from scanner.engine.ruleset import builtin_rules_dir, load_paths, load_rules

__all__ = ["Engine", "RuleHit", "builtin_rules_dir", "load_paths", "load_rules"]
