"""The word lists kommunnlp's components match with, as data the components load, save and share.

Each lexicon is read from an editable file under `pipeline/data/` when its
component is initialized, written with the pipeline by `nlp.to_disk` and read
back by `spacy.load`, so a saved pipeline carries its own data. Extraction
reads the same lexicons from the loaded pipeline (`Lexicons.of(nlp)`), never
from the data folder, so components and extraction cannot disagree.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field, fields
from functools import cached_property
from pathlib import Path
from typing import Any

import yaml

from pipeline.nlp.registry import REGISTRY_FILE, load_registry
from pipeline.resources import DATA_DIR

MUNICIPALITY_FILE = DATA_DIR / "kommuner.csv"
MUNICIPALITY_CONTEXT_FILE = DATA_DIR / "municipalities.yaml"
ORGANISATION_FILE = DATA_DIR / "organisations.yaml"
ROLES_FILE = DATA_DIR / "roles.yaml"
ROLE_TITLES_FILE = DATA_DIR / "role_titles.tsv"
NAMES_FILE = DATA_DIR / "names.yaml"


def read_yaml(path: Path, what: str) -> dict:
    """A data file as a mapping; a broken file is an error naming it."""
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"invalid {what} {path}: {error}") from error
    if not isinstance(data, dict):
        raise ValueError(f"invalid {what} {path}: expected a mapping")
    return data


def _words(data: dict, key: str, fold: bool = True) -> frozenset[str]:
    return frozenset(str(w).casefold() if fold else str(w) for w in data.get(key) or [])


def _add_form(canonical: dict[str, str], form: str, name: str, override: bool) -> None:
    """A form and its genitive (the same organisation: "SKR:s", "Trafikverkets")."""
    genitive_form = f"{form}:s" if form.isupper() or form[-1] in "sxz" else f"{form}s"
    canonical.setdefault(genitive_form, name)
    if override:
        canonical[form] = name
    else:
        canonical.setdefault(form, name)


def _titles(path: Path) -> frozenset[str]:
    if not Path(path).exists():
        return frozenset()
    lines = Path(path).read_text(encoding="utf-8").splitlines()
    return frozenset(line.split("\t", 1)[0] for line in lines[1:] if line and not line.startswith(("#", "title\t")))


def _party_names(data: dict) -> dict[str, str]:
    """`party_names` of roles.yaml (letters → names) as name → letters, every name lower case."""
    return {str(name).casefold(): str(letters) for letters, names in data.items() for name in names}


def _listed(data: dict, key: str) -> tuple[str, ...]:
    """The words in the file's order (patterns built from them keep it)."""
    return tuple(str(w) for w in data.get(key) or [])


class Serialised:
    """to_dict / from_dict for a frozen dataclass of word sets, tuples and mappings (JSON with the pipeline)."""

    def to_dict(self) -> dict[str, Any]:
        return {f.name: _jsonable(getattr(self, f.name)) for f in fields(self)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]):
        kinds = {"frozenset": frozenset, "tuple": tuple, "dict": dict}
        return cls(**{f.name: kinds[str(f.type).split("[")[0]](data[f.name]) for f in fields(cls)})


def _jsonable(value: Any) -> Any:
    if isinstance(value, frozenset):
        return sorted(value)
    if isinstance(value, tuple):
        return [asdict(v) if hasattr(v, "__dataclass_fields__") else v for v in value]
    return value


# --- municipalities -----------------------------------------------------------------------
@dataclass(frozen=True)
class Municipality:
    kb_id: str
    name: str
    county: str
    ambiguous: bool
    other_forms: tuple[str, ...]

    def forms(self) -> set[str]:
        """Base, genitive and other forms: Umeå, Umeås; Borås (genitive too); Falun, Falu."""
        bases = (self.name, *self.other_forms)
        return {f for base in bases for f in (base, genitive(base))}


def genitive(name: str) -> str:
    return name if name[-1] in "sxz" else name + "s"


@dataclass(frozen=True)
class MunicipalityLexicon(Serialised):
    """The 290 kommuner and the words around a name that make it a place or part of something else."""

    municipalities: tuple[Municipality, ...]
    suffixes: frozenset[str]  # "Umeå kommun", "Göteborgs Stad": absorbed into the mention
    not_after: frozenset[str]  # "Umeå universitet", "Stockholms län": part of another name
    not_before: frozenset[str]  # "Region Gotland"
    place_prepositions: frozenset[str]  # "i Mark": an ambiguous name is a place after these

    @classmethod
    def from_files(cls, lexicon: Path = MUNICIPALITY_FILE, context: Path = MUNICIPALITY_CONTEXT_FILE
                   ) -> MunicipalityLexicon:
        try:
            with Path(lexicon).open(encoding="utf-8") as handle:
                municipalities = tuple(
                    Municipality(
                        kb_id=row["kb_id"].strip(), name=row["name"].strip(), county=row["county"].strip(),
                        ambiguous=row["ambiguous"].strip().lower() in ("ja", "yes", "true", "1"),
                        other_forms=tuple(f.strip() for f in (row["other_forms"] or "").split(";") if f.strip()),
                    )
                    for row in csv.DictReader(handle)
                )
        except (OSError, KeyError, AttributeError) as error:
            raise ValueError(f"invalid municipality lexicon {lexicon}: {error}") from error
        words = read_yaml(context, "municipality context file")
        return cls(municipalities, _words(words, "suffixes"), _words(words, "not_after"),
                   _words(words, "not_before"), _words(words, "place_prepositions"))

    @cached_property
    def by_kb_id(self) -> dict[str, Municipality]:
        return {m.kb_id: m for m in self.municipalities}

    @cached_property
    def by_form(self) -> dict[str, Municipality]:
        """Surface form (case-folded) → municipality, for normalising names found elsewhere."""
        return {form.casefold(): m for m in self.municipalities for form in m.forms()}

    def lookup(self, text: str) -> Municipality | None:
        """The municipality a mention names: "Umeå kommun", "Göteborgs Stad", "Umeås" → its entry."""
        words = text.split()
        if len(words) > 1 and words[-1].casefold() in self.suffixes:
            words = words[:-1]
        return self.by_form.get(" ".join(words).casefold())

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> MunicipalityLexicon:
        municipalities = tuple(Municipality(**{**m, "other_forms": tuple(m["other_forms"])})
                               for m in data["municipalities"])
        return super().from_dict({**data, "municipalities": municipalities})


# --- organisations ------------------------------------------------------------------------
@dataclass(frozen=True)
class Gazetteer(Serialised):
    """Organisation names with their aliases, and the words organisation names are made of."""

    canonical: dict[str, str]  # surface form → canonical name
    generic: frozenset[str]  # "kommunen": a kind of body, not a name
    not_organisations: frozenset[str]  # "Decidim": products and platforms
    head_words: tuple[str, ...]  # "Trafikverket" ends in "verket"
    name_words: frozenset[str]  # "Digidem Lab" ends in "Lab"
    pattern_words: dict[str, list[str]] = field(default_factory=dict)  # the words of each name pattern
    head_word_exceptions: tuple[str, ...] = ()  # "området" ends in "rådet" only by chance
    part_nouns: frozenset[str] = frozenset()  # "Filminstitutets styrelse" is a part of Filminstitutet
    kb_ids: dict[str, str] = field(default_factory=dict)  # canonical name → Wikidata id or org number

    @classmethod
    def from_file(cls, path: Path = ORGANISATION_FILE, registry: Path = REGISTRY_FILE) -> Gazetteer:
        """The gazetteer file's organisations, and the agency registry's (the file's entries win)."""
        data = read_yaml(path, "organisation gazetteer")
        try:
            canonical: dict[str, str] = {}
            kb_ids: dict[str, str] = {}
            listed = [(str(entry["name"]), [str(a) for a in entry.get("aliases") or []])
                      for entry in data.get("organisations", [])]
            for name, aliases in listed:
                for form in (name, *aliases):
                    _add_form(canonical, form, name, override=True)
            entries = load_registry(registry)
            # a body the file lists keeps the file's name for all its forms ("Statens skolverk" → Skolverket)
            named = {e.name: canonical[e.form] for e in entries
                     if e.kind in ("official", "short") and e.form in canonical}
            for entry in entries:
                name = named.get(entry.name, entry.name)
                if entry.form not in canonical:
                    _add_form(canonical, entry.form, name, override=False)
                if entry.kb_id:
                    kb_ids.setdefault(name, entry.kb_id)
            return cls(
                canonical=canonical, generic=_words(data, "generic"),
                not_organisations=_words(data, "not_organisations"),
                head_words=tuple(str(w) for w in data.get("head_words", [])),
                name_words=_words(data, "name_words", fold=False),
                pattern_words={str(k): [str(w) for w in v] for k, v in (data.get("pattern_words") or {}).items()},
                head_word_exceptions=tuple(str(w) for w in data.get("head_word_exceptions", [])),
                part_nouns=_words(data, "part_nouns"), kb_ids=kb_ids,
            )
        except (KeyError, TypeError, AttributeError) as error:
            raise ValueError(f"invalid organisation gazetteer {path}: {error}") from error

    def canonical_name(self, text: str) -> str | None:
        return self.canonical.get(text)

    def is_generic(self, text: str) -> bool:
        """A kind of body ("kommunen"), or a product that is not an organisation ("Decidim")."""
        return text.casefold() in self.generic or text.casefold() in self.not_organisations



# --- people and roles ---------------------------------------------------------------------
@dataclass(frozen=True, eq=False)  # hashed by identity: role patterns are cached per lexicon
class RoleLexicon(Serialised):
    """Role words and the words around them: a word is a role when listed or a compound of a head."""

    heads: tuple[str, ...]
    roles: frozenset[str]
    speech_verbs: frozenset[str]
    parties: frozenset[str]
    org_words: tuple[str, ...]
    org_prepositions: tuple[str, ...]
    clause_words: tuple[str, ...]
    new_role_words: tuple[str, ...]
    sequence_words: tuple[str, ...]
    not_role_words: frozenset[str]
    not_before_lone_first_name: frozenset[str]
    apposition_links: tuple[str, ...]
    titles: frozenset[str] = frozenset()  # whole titles seen in use (data/role_titles.tsv)
    qualifiers: tuple[str, ...] = ()  # "vice", "biträdande": part of the title before it
    boilerplate: tuple[str, ...] = ()  # "se presskontakt nedan": never a role
    party_names: dict[str, str] = field(default_factory=dict)  # "sverigedemokraterna" → "SD"
    pronouns: frozenset[str] = frozenset()  # "Hon är rektor …": the person the text spoke of last
    biography_links: tuple[str, ...] = ()  # "är", "har tidigare varit": between a subject and its role
    biography_adverbs: tuple[str, ...] = ()  # "i dag", "sedan 2017": between the link and the role
    biography_auxiliaries: tuple[str, ...] = ()  # "har", "hade": before a link, adverbs between
    appointment_verbs: tuple[str, ...] = ()  # "Regeringen har utsett X till generaldirektör"
    appointment_passives: tuple[str, ...] = ()  # "X utses till generaldirektör"

    @classmethod
    def from_file(cls, path: Path = ROLES_FILE, titles: Path = ROLE_TITLES_FILE) -> RoleLexicon:
        data = read_yaml(path, "role lexicon")
        try:
            return cls(
                heads=tuple(str(h).casefold() for h in data.get("role_heads", [])),
                roles=_words(data, "roles"), speech_verbs=_words(data, "speech_verbs"),
                parties=_words(data, "parties", fold=False),
                org_words=_listed(data, "org_words"), org_prepositions=_listed(data, "org_prepositions"),
                clause_words=_listed(data, "clause_words"), new_role_words=_listed(data, "new_role_words"),
                sequence_words=_listed(data, "sequence_words"), not_role_words=_words(data, "not_role_words"),
                not_before_lone_first_name=_words(data, "not_before_lone_first_name"),
                apposition_links=_listed(data, "apposition_links"),
                titles=_titles(titles), qualifiers=_listed(data, "qualifiers"),
                boilerplate=tuple(str(b).casefold() for b in data.get("boilerplate", [])),
                party_names=_party_names(data.get("party_names") or {}),
                pronouns=_words(data, "pronouns"), biography_links=_listed(data, "biography_links"),
                biography_adverbs=_listed(data, "biography_adverbs"),
                biography_auxiliaries=_listed(data, "biography_auxiliaries"),
                appointment_verbs=_listed(data, "appointment_verbs"),
                appointment_passives=_listed(data, "appointment_passives"),
            )
        except (TypeError, AttributeError) as error:
            raise ValueError(f"invalid role lexicon {path}: {error}") from error

    def is_title(self, phrase: str) -> bool:
        """A whole title: seen in use, or ending in a role word ("senior rådgivare", "migrationspolitisk
        talesperson")."""
        words = phrase.casefold().split()
        return bool(words) and (" ".join(words) in self.titles or self.is_role_word(words[-1]))

    def party_of(self, text: str) -> str | None:
        """The party a text names: its letters, its name written out (any case, genitive, a regional
        branch after it: "Liberalerna Gotland"), or None."""
        words = text.strip(" ().,").casefold().split()
        if not words:
            return None
        if text.strip(" ().,").upper() in self.parties:
            return text.strip(" ().,").upper()
        name = words[0].removesuffix("s") if words[0] not in self.party_names else words[0]
        return self.party_names.get(words[0]) or self.party_names.get(name)

    def is_role_word(self, word: str) -> bool:
        """A word that is a title: listed, seen alone as a title in use, or a compound of a head
        ("socialtjänstminister" ends in "minister")."""
        lower = word.casefold()
        return lower in self.roles or lower in self.titles or any(lower.endswith(head) for head in self.heads)

    def is_definite_role_word(self, word: str) -> bool:
        """A role word in its definite form, as a title before a name takes it: "journalisten Ola
        Sigvardsson", "professorn Bengt Johansson", "kanslirådet Martin Hagström"."""
        lower = word.casefold()
        return len(lower) > 5 and any(
            lower.endswith(ending) and self.is_role_word(lower[: -len(ending)]) for ending in DEFINITE_ENDINGS)


# The definite singular endings of Swedish nouns: "-en" (journalisten), "-n" (professorn), "-et" (rådet).
DEFINITE_ENDINGS = ("en", "n", "et")


@dataclass(frozen=True)
class NameLexicon(Serialised):
    """What may stand in a person's name: not these words; these particles between name parts."""

    not_name_words: frozenset[str]
    particles: frozenset[str]

    @classmethod
    def from_file(cls, path: Path = NAMES_FILE) -> NameLexicon:
        from spacy.lang.sv.stop_words import STOP_WORDS

        data = read_yaml(path, "names file")
        # Some stop words are also first names ("Hans Berg", "Dag Larsson", "Inga Lind").
        stop_words = set(STOP_WORDS) - _words(data, "first_names_among_stop_words")
        return cls(_words(data, "not_name_words") | stop_words, _words(data, "particles", fold=False))



# --- what extraction reads from a loaded pipeline ----------------------------------------------
@dataclass(frozen=True)
class Lexicons:
    """The lexicons and span keys of a pipeline's kommunnlp components, for extraction."""

    municipalities: MunicipalityLexicon
    gazetteer: Gazetteer
    roles: RoleLexicon
    names: NameLexicon
    municipality_key: str
    org_gazetteer_key: str
    org_patterns_key: str
    person_patterns_key: str

    @classmethod
    def of(cls, nlp) -> Lexicons:
        municipalities = nlp.get_pipe("kommunnlp_municipalities")
        organisations = nlp.get_pipe("kommunnlp_organisations")
        persons = nlp.get_pipe("kommunnlp_persons")
        return cls(municipalities.lexicon, organisations.gazetteer, persons.roles, persons.names,
                   municipalities.spans_key, organisations.gazetteer_key, organisations.patterns_key,
                   persons.spans_key)
