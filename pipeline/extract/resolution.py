"""Reading a document as a whole: short names resolve to full names, abbreviations and genitives to the
names they stand for, one spelling per entity.

Mentions arrive one by one from the components and the model; a person named
"Sharif Shawky" once and "Sharif" after that is one person, "Sveriges
Kommuner och Regioner (SKR)" and "SKR:s" one organisation.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import replace
from typing import TYPE_CHECKING

from pipeline.nlp.lexicons import Gazetteer

if TYPE_CHECKING:
    from pipeline.extract.entities import Mention


def normalise(mentions: list[Mention], gazetteer: Gazetteer) -> list[Mention]:
    mentions = resolve_persons(mentions)
    mentions = resolve_organisations(mentions, gazetteer)
    mentions = genitives(mentions)
    return same_case(mentions)


def genitives(mentions: list[Mention]) -> list[Mention]:
    """A genitive is named by its base form when the document names the base too, for every kind of entity:
    "Natos" → "Nato", "Ulf Kristerssons" → "Ulf Kristersson", "Borås Djurparks" → "Borås Djurpark".

    Only then: many names end in s of their own ("Mats", "Davis", "Västerås"), and the base named elsewhere
    is what tells them apart.
    """
    known = {(m.label, m.normalized) for m in mentions}
    result = []
    for mention in mentions:
        name = mention.normalized
        base = name[:-2] if name.endswith(":s") else name[:-1] if name.endswith("s") else name
        if base != name and len(base) >= 2 and (mention.label, base) in known:
            mention = replace(mention, normalized=base)
        result.append(mention)
    return result


def resolve_persons(mentions: list[Mention]) -> list[Mention]:
    """Short forms become full names; a lone first or last name the model guessed is dropped.

    The model sometimes calls a person's surname an organisation or a place
    ("Slottner", "Sharif"); a mention that is part of a person's full name in
    the same document is that person.
    """
    names = [m.normalized for m in mentions if m.label == "PERSON"]
    full_names = [n for n in names if len(n.split()) >= 2]
    result = []
    for mention in mentions:
        if mention.label in ("ORGANISATION", "LOCATION") and mention.source == "ner" and len(mention.text.split()) == 1:
            owner = resolve_short_names([*full_names, mention.text]).get(mention.text, mention.text)
            if owner != mention.text:
                mention = replace(mention, label="PERSON", normalized=mention.text)
        result.append(mention)
    names = [m.normalized for m in result if m.label == "PERSON"]
    resolved = resolve_short_names(names)
    mentions, result = result, []
    for mention in mentions:
        if mention.label != "PERSON":
            result.append(mention)
            continue
        full = resolved.get(mention.normalized, mention.normalized)
        if len(full.split()) == 1 and mention.source == "ner":
            continue
        result.append(replace(mention, normalized=full))
    return result


def resolve_organisations(mentions: list[Mention], gazetteer: Gazetteer) -> list[Mention]:
    """Abbreviations introduced next to a name ("… Regioner (SKR)") and genitives resolve to the full name."""
    orgs = [m for m in mentions if m.label == "ORGANISATION"]
    known = {m.normalized for m in orgs}
    aliases: dict[str, str] = {}
    for first, second in itertools.pairwise(orgs):
        gap = second.start - first.end
        if 0 < gap <= 3 and is_abbreviation(second.text) and not is_abbreviation(first.text):
            aliases[second.text] = first.normalized
        elif 0 < gap <= 3 and is_abbreviation(first.text) and not is_abbreviation(second.text):
            aliases[first.text] = second.normalized
    result = []
    for mention in mentions:
        if mention.label == "ORGANISATION" and _unexplained_abbreviation(mention, aliases, gazetteer):
            continue
        if mention.label == "ORGANISATION":
            name = aliases.get(mention.text, mention.normalized)
            base = name[:-1] if name.endswith("s") else name
            if name.endswith(":s"):
                base = name[:-2]
            if base != name and (base in known or gazetteer.canonical_name(base)):
                name = gazetteer.canonical_name(base) or base
            name = aliases.get(name, name)
            mention = replace(mention, normalized=name)
        result.append(mention)
    return result


def _unexplained_abbreviation(mention: Mention, aliases: dict[str, str], gazetteer: Gazetteer) -> bool:
    """An abbreviation only the model calls an organisation, that neither the document introduces next to a
    name nor the gazetteer knows: a law, a fund, a system, a term ("ETS", "EES", "ICT") as often as a body."""
    text = mention.text.removesuffix(":s")
    # introduced in brackets after a name: "Fastighetsägare Centrala Hisingen (FSH)"
    introduced = re.search(rf"\b[A-ZÅÄÖ]\w+\s*\({re.escape(text)}\)", mention.sentence or "")
    return (mention.source == "ner" and is_abbreviation(mention.text) and text.isupper() and not introduced
            and mention.text not in aliases and text not in aliases and not gazetteer.canonical_name(text))


def same_case(mentions: list[Mention]) -> list[Mention]:
    """One spelling per entity: "Helsingfors Universitet" and "Helsingfors universitet" are one name."""
    first: dict[tuple[str, str], str] = {}
    result = []
    for mention in mentions:
        key = (mention.label, mention.normalized.casefold())
        result.append(replace(mention, normalized=first.setdefault(key, mention.normalized)))
    return result


def is_abbreviation(text: str) -> bool:
    core = text.removesuffix(":s")
    return 2 <= len(core) <= 8 and core.replace("-", "").isalpha() and sum(c.isupper() for c in core) >= 2


def base_name(text: str) -> str:
    """Without a genitive s: "Sharifs" → "Sharif" (the caller checks the base is known)."""
    return text[:-1] if text.endswith("s") and len(text) > 3 else text


def resolve_short_names(names: list[str]) -> dict[str, str]:
    """Map each name to the fullest name in the document it is part of ("Sharif" → "Sharif Shawky").

    A short form joins a full name when its words are a contiguous run of the
    full name's words (first name, surname, double surname). When several full
    names fit, the short form is left as it is: guessing would merge two people.
    """
    full = sorted({n for n in names if len(n.split()) >= 2}, key=lambda n: -len(n.split()))
    resolved: dict[str, str] = {}
    for name in names:
        if name in resolved:
            continue
        words = name.split()
        candidates = [f for f in full if f != name and _contains_run(f.split(), words)]
        if not candidates and base_name(name) != name:
            words = base_name(name).split()
            candidates = [f for f in full if _contains_run(f.split(), words)]
        longest = [c for c in candidates if len(c.split()) == len(candidates[0].split())] if candidates else []
        resolved[name] = longest[0] if len(set(longest)) == 1 else name
    return resolved


def _contains_run(whole: list[str], part: list[str]) -> bool:
    return any(whole[i : i + len(part)] == part for i in range(len(whole) - len(part) + 1))


