"""Curation: reviewers' verdicts as rules that every run applies to the entity and role tables.

The rules live in a YAML file (by default `<output>/curation.yaml`) that
`kommunnlp review import` extends and an analyst may edit by hand:

    suppress_everywhere_after: 2
    rules:
      - {table: entities, doc_id: 9f86…, label: PERSON, normalized: Medialab Prado, action: suppress}
      - {table: entities, doc_id: "*", label: PERSON, normalized: Nobel Week, action: suppress}
      - {table: entities, doc_id: 9f86…, label: PERSON, normalized: SKR, action: relabel,
         new_label: ORGANISATION, new_normalized: Sveriges Kommuner och Regioner}
      - {table: entities, doc_id: 9f86…, label: MUNICIPALITY, normalized: Umeå, action: confirm}
      - {table: person_roles, doc_id: 9f86…, person: Anna Berg, role: ordf, action: rename, new_role: ordförande}

Rules match what was *extracted* (`extracted_label`, `extracted_normalized`,
`extracted_role`), so applying them again gives the same result. `doc_id: "*"`
applies everywhere. An `ej entitet` verdict for the same entity in
`suppress_everywhere_after` documents (default 2) becomes a rule for every document.
"""

from __future__ import annotations

import hashlib
import json
from collections import defaultdict
from dataclasses import dataclass, field, replace
from functools import cached_property
from pathlib import Path

import yaml

from pipeline import UserError
from pipeline.store.schemas import ENTITY_LABELS, EntityRow, PersonRoleRow

CURATION_FILE = "curation.yaml"
EVERYWHERE = "*"
ACTIONS = ("suppress", "relabel", "rename", "confirm")
DEFAULT_SUPPRESS_EVERYWHERE_AFTER = 2
HEADER = """\
# kommunnlp curation: reviewers' verdicts as rules every run applies (see pipeline/curation.py).
# Written by `kommunnlp review import`; you may edit it by hand. doc_id "*" means every document.
# actions: suppress (drop the row), relabel (new_label), rename (new_normalized / new_role), confirm.
"""


class CurationError(UserError, ValueError):
    """The curation file is invalid; the message names the rule."""


@dataclass
class Curation:
    rules: list[dict] = field(default_factory=list)
    suppress_everywhere_after: int = DEFAULT_SUPPRESS_EVERYWHERE_AFTER
    sha256: str | None = None

    def digest_for(self, doc_id: str) -> str:
        """The rules that can change this document's rows (its own and every-document ones), as a hash:
        another digest than its rows were made with means they are out of date."""
        rules = [*self._by_document.get(EVERYWHERE, ()), *self._by_document.get(doc_id, ())]
        if not rules:
            return ""
        return hashlib.sha256(json.dumps(rules, sort_keys=True, ensure_ascii=False).encode()).hexdigest()[:16]

    @cached_property
    def _by_document(self) -> dict[str, list[dict]]:
        index: dict[str, list[dict]] = defaultdict(list)
        for rule in self.rules:
            index[rule["doc_id"]].append(rule)
        return index

    def entity_rules(self, doc_id: str, label: str, normalized: str) -> list[dict]:
        return [r for r in self._by_target.get(("entities", label, normalized), ())
                if r["doc_id"] in (doc_id, EVERYWHERE)]

    def role_rules(self, doc_id: str, person: str, role: str) -> list[dict]:
        return [r for r in self._by_target.get(("person_roles", person, role), ())
                if r["doc_id"] in (doc_id, EVERYWHERE)]

    @cached_property
    def _by_target(self) -> dict[tuple[str, str, str], list[dict]]:
        """The rules (in file order) by the row values they match: every row of every run asks."""
        index: dict[tuple[str, str, str], list[dict]] = defaultdict(list)
        for rule in self.rules:
            if rule["table"] == "entities":
                index[("entities", rule["label"], rule["normalized"])].append(rule)
            else:
                index[("person_roles", rule["person"], rule["role"])].append(rule)
        return index


def curation_path(output_dir: Path) -> Path:
    return Path(output_dir) / CURATION_FILE


def load_curation(path: Path) -> Curation:
    """The rules in `path`; no file means no rules. A broken file is an error naming the problem."""
    if not path.exists():
        return Curation()
    raw = path.read_bytes()
    try:
        data = yaml.safe_load(raw) or {}
    except yaml.YAMLError as error:
        raise CurationError(f"{path}: not valid YAML: {error}") from error
    if not isinstance(data, dict) or not isinstance(data.get("rules", []), list):
        raise CurationError(f"{path}: expected a mapping with a list under 'rules'")
    rules = [_valid_rule(rule, f"{path}: rule {i}") for i, rule in enumerate(data.get("rules") or [], 1)]
    after = data.get("suppress_everywhere_after", DEFAULT_SUPPRESS_EVERYWHERE_AFTER)
    if not isinstance(after, int) or after < 1:
        raise CurationError(f"{path}: suppress_everywhere_after must be a whole number ≥ 1")
    return Curation(rules, after, hashlib.sha256(raw).hexdigest())


def _valid_rule(rule: object, where: str) -> dict:
    if not isinstance(rule, dict):
        raise CurationError(f"{where}: expected a mapping")
    table, action = rule.get("table"), rule.get("action")
    if action not in ACTIONS:
        raise CurationError(f"{where}: action must be one of {', '.join(ACTIONS)}, got {action!r}")
    keys = {"entities": ("doc_id", "label", "normalized"), "person_roles": ("doc_id", "person", "role")}.get(table)
    if keys is None:
        raise CurationError(f"{where}: table must be entities or person_roles, got {table!r}")
    missing = [k for k in keys if not rule.get(k)]
    if missing:
        raise CurationError(f"{where}: missing {', '.join(missing)}")
    if action == "relabel" and rule.get("new_label") not in ENTITY_LABELS:
        raise CurationError(f"{where}: relabel needs new_label, one of {', '.join(ENTITY_LABELS)}")
    return {k: (str(v) if v is not None else None) for k, v in rule.items()}


def save_curation(path: Path, curation: Curation) -> None:
    """Write atomically, so a run never reads half a file."""
    body = yaml.safe_dump({"suppress_everywhere_after": curation.suppress_everywhere_after,
                           "rules": curation.rules}, allow_unicode=True, sort_keys=False, width=120)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(HEADER + body, encoding="utf-8")
    tmp.replace(path)


def apply_to_entities(rows: list[EntityRow], curation: Curation) -> list[EntityRow]:
    """Suppress, relabel, rename and confirm entity rows; sets review_status."""
    result = []
    for row in rows:
        label, normalized, status = row.extracted_label, row.extracted_normalized, "unreviewed"
        rules = curation.entity_rules(row.doc_id, label, normalized)
        if any(r["action"] == "suppress" for r in rules):
            continue
        for rule in rules:
            if rule["action"] == "relabel":
                label, status = rule["new_label"], "corrected"
            if rule["action"] in ("relabel", "rename") and rule.get("new_normalized"):
                normalized, status = rule["new_normalized"], "corrected"
            if rule["action"] == "confirm" and status == "unreviewed":
                status = "confirmed"
        result.append(replace(row, label=label, normalized=normalized, review_status=status))
    return result


def apply_to_roles(rows: list[PersonRoleRow], curation: Curation) -> list[PersonRoleRow]:
    result = []
    for row in rows:
        role, status = row.extracted_role, "unreviewed"
        rules = curation.role_rules(row.doc_id, row.person, role)
        if any(r["action"] in ("suppress", "relabel") for r in rules):
            continue
        for rule in rules:
            if rule["action"] == "rename" and rule.get("new_role"):
                role, status = rule["new_role"], "corrected"
            if rule["action"] == "confirm" and status == "unreviewed":
                status = "confirmed"
        result.append(replace(row, role=role, review_status=status))
    return result
