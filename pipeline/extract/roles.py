"""Person–role links in the shapes Swedish news uses.

- "Fredrik Kjos (M), kommunstyrelsens ordförande i Upplands-Bro"   (name, party, role after a comma)
- "säger Diana Silic, operativt verksamhetsansvarig för projektet"  (role after a quoted speaker)
- "Andreas Löwenhöök, oppositionsråd (M)"                           (party after the role)
- "kommundirektör Ida Texell", "MFOF:s generaldirektör Per Bergling" (role before the name)
- "Magda Gyllenfjell\\nProjektledare"                                 (contact block, one per line)
- "var Rådström Baastad kommunalråd"                                (role right after the name)
- "Pontus Rosenberg är i dag ministerråd", "Hon är rektor för …"     (biography: name or pronoun, link, role)
- "2010 – 2014   Generalkonsul, Jeddah" under a person's name          (CV lines)

Roles are kept as written, lower case; an organisation or place after
"på/vid/i/hos/av" is split off into `org`.
"""

from __future__ import annotations

import bisect
import re
from dataclasses import dataclass
from functools import lru_cache

from spacy.tokens import Doc

from pipeline.extract.lines import ListLine, Part
from pipeline.nlp.lexicons import RoleLexicon
from pipeline.nlp.text import sentence_of, text_of

_PARTY = r"\((?P<party>[A-ZÅÄÖ]{1,2})\)"
# After the name: optional (PARTY), a comma, the role phrase up to a clause end.
_CLAUSE_END = r"[,.;:!?\n()–—\"”]"
# A dash stands for the comma in lists: "* Lars Behrenz – docent vid Linnéuniversitetet".
_AFTER_NAME = re.compile(
    rf"^[ \t]*(?:{_PARTY})?(?:[ \t]*,|(?P<dash>[ \t]+[–—]))[ \t]*(?P<role>[^,.;:!?\n()–—\"”]+?)[ \t]*"
    rf"(?:{_PARTY.replace('party', 'party2')})?(?=$|{_CLAUSE_END})"
)
_PARTY_ONLY = re.compile(rf"^[ \t]*{_PARTY}")
_AND_MORE = re.compile(r"(?<!-)\s+och\s+")  # not inside a coordinated compound: "Patent- och registreringsverket"
_GENITIVE_ORG = re.compile(r"(?P<org>[A-ZÅÄÖ][\w-]*(?::s|s))$")
# "* 2010 – 2014   Generalkonsul, Jeddah": a year or a span of years, then the position held.
_CV_LINE = re.compile(r"^[ \t]*(?:[*•-][ \t]*)?(?:19|20)\d\d[ \t]*(?:[–—-][ \t]*(?:(?:19|20)\d\d)?)?[ \t]+"
                      r"(?P<position>[A-ZÅÄÖa-zåäö][^,(\n]*)", re.MULTILINE)
_CV_ORG = re.compile(r"\s+(?:vid|på|i|hos|inom)\s+")
_APPOSITION = re.compile(rf"[ \t]*(?:{_PARTY})?[ \t]*,[ \t]*")
MAX_ROLE_WORDS = 7
MAX_PHRASE_WORDS = 14
# How far from a name its role is looked for, in characters: a title and its phrase are far shorter, and
# reading the whole rest of a line for every name made a long line (a dump of notices) quadratic.
NEAR_CHARS = 600


@dataclass(frozen=True)
class RolePatterns:
    """The regular expressions of the role shapes, made from the role lexicon's words."""

    split_org: re.Pattern[str]  # "projektledare hos X", "projektledare på X"
    clause_goes_on: re.Pattern[str]  # "…, projektledare i Lundby som medverkade …"
    role_right_after: re.Pattern[str]  # "Rådström Baastad kommunalråd och därefter …", "Lena X ny landshövding"
    sequence: re.Pattern[str]  # the further roles of role_right_after
    as_role: re.Pattern[str]  # "Jaan-Henrik Kain ingår som forskare"
    biography: re.Pattern[str]  # " är i dag ministerråd och …", " har tidigare varit styrelseledamot i …"
    appointed: re.Pattern[str]  # "[utsett X] till ambassadör i Dublin", "[X] utses till generaldirektör"
    appointing: re.Pattern[str]  # "Regeringen har utsett [X]": the verb before the name
    new_role: re.Pattern[str]  # "ny " before a position: "blir ny generaldirektör"


@lru_cache(maxsize=4)
def role_patterns(lexicon: RoleLexicon) -> RolePatterns:
    def alternatives(words: tuple[str, ...]) -> str:
        return "|".join(re.escape(w) for w in words)

    sequence = rf"(?:{alternatives(lexicon.sequence_words)})\s+"
    adverbs = rf"(?:(?:{alternatives(lexicon.biography_adverbs)}|sedan[ \t]+\d{{4}})[ \t]+)*"
    return RolePatterns(
        split_org=re.compile(rf"\s+(?:{alternatives(lexicon.org_words)})\s+|"
                             rf"\s+(?:{alternatives(lexicon.org_prepositions)})\s+(?=[A-ZÅÄÖ0-9])"),
        clause_goes_on=re.compile(rf"\s+(?:{alternatives(lexicon.clause_words)})\s.*$"),
        role_right_after=re.compile(
            rf"^[ \t]+(?:(?:{alternatives(lexicon.new_role_words)})\s+)?"
            rf"(?P<role>[a-zåäö][\w-]*)(?P<more>(?:\s+och\s+(?:{sequence})?[a-zåäö][\w-]*)*)"
        ),
        sequence=re.compile(rf"och\s+(?:{sequence})?([a-zåäö][\w-]*)"),
        as_role=re.compile(r"^[ \t]+(?:\w+[ \t]+){1,2}som[ \t]+(?P<role>[a-zåäö][\w-]*)"),
        biography=re.compile(
            rf"^[ \t]+(?:(?:{alternatives(lexicon.biography_auxiliaries)})[ \t]+{adverbs})?"
            rf"(?:{alternatives(lexicon.biography_links)})[ \t]+{adverbs}"
            r"(?:som[ \t]+)?(?P<role>[a-zåäö](?:[^.;:!?\n()–—\"”]|:(?=\w))*)"
        ),
        appointed=re.compile(
            rf"^[ \t]+(?:(?P<passive>(?:{alternatives(lexicon.appointment_passives)})[ \t]+)(?:till|som)|till)[ \t]+"
            rf"(?:(?:{alternatives(lexicon.new_role_words)})[ \t]+)?(?P<role>[a-zåäö](?:[^.;:!?\n()–—\"”]|:(?=\w))*)"
        ),
        new_role=re.compile(rf"^(?:{alternatives(lexicon.new_role_words)})[ \t]+"),
        appointing=re.compile(rf"\b(?:{alternatives(lexicon.appointment_verbs)})(?:[ \t]+\S+){{0,2}}[ \t]+$"),
    )


@dataclass(frozen=True)
class PersonMention:
    name: str  # resolved full name
    start: int  # offsets within the spaCy doc's text
    end: int


@dataclass
class RoleLink:
    person: str
    role: str
    party: str | None
    org: str | None
    start: int
    end: int
    evidence: str
    score: float


def find_roles(doc: Doc, persons: list[PersonMention], lexicon: RoleLexicon) -> list[RoleLink]:
    """Every role the text gives a person, at most once per (person, role)."""
    links: list[RoleLink] = []
    text = text_of(doc)
    shapes = _Shapes(lexicon, role_patterns(lexicon))
    for index, person in enumerate(persons):
        before = shapes.before_name(doc, text, person)
        if index > 0 and text[max(0, person.start - NEAR_CHARS) : person.start].rstrip().endswith(","):
            # "Annika Larsson, biträdande professor, Michael Erliksson": the title between commas is Annika's
            before = [r for r in before if not _APPOSITION.fullmatch(text[persons[index - 1].end : r.start])]
        if not before and index > 0 and re.fullmatch(r"\s+och\s+", text[persons[index - 1].end : person.start]):
            # "statsråden Peter Kullgren och Carl-Oskar Bohlin": the role covers both
            before = [
                RoleLink(person.name, r.role, None, r.org, r.start, person.end, r.evidence, r.score - 0.1)
                for r in links
                if r.person == persons[index - 1].name and r.end == persons[index - 1].end
            ]
        links.extend(before)
        next_start = persons[index + 1].start if index + 1 < len(persons) else len(text)
        links.extend(shapes.after_name(doc, text, person, next_start))
        links.extend(shapes.contact_block(doc, text, person))
    for pronoun, next_start in _pronoun_subjects(doc, persons, lexicon):
        links.extend(shapes.biography(doc, text, pronoun, next_start))
    links.extend(shapes.cv_lines(doc, text, persons))
    seen: set[tuple[str, str]] = set()
    unique = []
    for link in sorted(links, key=lambda r: -r.score):
        key = (link.person, link.role)
        if key not in seen:
            seen.add(key)
            unique.append(link)
    return sorted(unique, key=lambda r: r.start)


def _pronoun_subjects(doc: Doc, persons: list[PersonMention], lexicon: RoleLexicon
                      ) -> list[tuple[PersonMention, int]]:
    """Sentences opening with "Han"/"Hon" after a sentence that named one person: the pronoun as that
    person's mention (and where the next person's mention begins). Two persons named before: no one."""
    found = []
    named: set[str] = set()
    starts = [p.start for p in persons]  # in text order
    for sentence in doc.sents:
        inside = persons[bisect.bisect_left(starts, sentence.start_char) : bisect.bisect_left(starts,
                                                                                             sentence.end_char)]
        first = sentence[0] if not sentence[0].is_space else (sentence[1] if len(sentence) > 1 else sentence[0])
        if not inside and first.lower_ in lexicon.pronouns and len(named) == 1:
            person = PersonMention(next(iter(named)), first.idx, first.idx + len(first.text))
            found.append((person, sentence.end_char))
        if inside:
            named = {p.name for p in inside}
    return found


def roles_of_list_lines(lines: list[ListLine], names: dict[tuple[int, int], str], lexicon: RoleLexicon,
                        text: str) -> list[RoleLink]:
    """The roles "Name, Role, Organisation" lines give: the parts between name and organisation are titles
    (a two-part line's second part only when it reads as one), the party from brackets or a party's name,
    the organisation the last part. names: (start, end) of each PERSON mention → its resolved name."""
    links = []
    for line in lines:
        person = names.get((line.name.start, line.name.end))
        if person is None:
            continue
        parts = [*line.middle, *([line.last] if line.last else [])]
        party = line.party or next((lexicon.party_of(p.text) for p in parts if lexicon.party_of(p.text)), None) or next(
            (m.group("party") for p in parts for m in re.finditer(_PARTY, p.text)
             if m.group("party") in lexicon.parties), None)  # "Oppositionsråd (M) Region Östergötland"
        parts = [p for p in parts if not lexicon.party_of(p.text)]
        org = None
        titles = [p for p in parts if lexicon.is_title(p.text) or (line.last is not None and p in line.middle)]
        if line.last is not None and line.last in parts and not lexicon.is_title(line.last.text):
            titles = [t for t in titles if t is not line.last]
            org = line.last.text
            title, body = _title_then_body(line.last.text, lexicon)
            if title:  # "medgrundare Stiftelsen Alzheimer Life": a title, then the organisation
                titles.append(Part(line.last.start, line.last.start + len(title), title))
                org = body
        line_end = text.find("\n", line.name.end)
        evidence = text[text.rfind("\n", 0, line.name.start) + 1 : line_end if line_end != -1 else len(text)]
        for part in titles:  # "Grundare & Ordförande" is one title as written, coordination and all
            role = part.text.lower()
            if any(role.startswith(b) for b in lexicon.boilerplate) or role.split()[0] in lexicon.not_role_words:
                continue  # "se presskontakt nedan"; "som varit ordförande sedan 2021" is a clause
            links.append(RoleLink(person, role, party, org, line.name.start, part.end, evidence.strip(), 0.85))
    return links


def _title_then_body(part: str, lexicon: RoleLexicon) -> tuple[str | None, str | None]:
    """A list line's last part that opens with a title and goes on with a capitalised name: (title, name)."""
    words = [w for w in part.split() if not re.fullmatch(_PARTY, w)]
    if len(words) >= 2 and lexicon.is_role_word(words[0]) and words[1][:1].isupper() and not lexicon.is_role_word(
            words[1]):
        return words[0], " ".join(words[1:])
    return None, None


_NEXT_APPOSITION = re.compile(rf"[ \t]*,[ \t]*(?P<role>[^,.;:!?\n()–—\"”]+?)[ \t]*(?=$|{_CLAUSE_END})")
_RELATIVE = re.compile(r"[ \t]*,[ \t]+som(?=[ \t])")
_POSITION_BREAK = re.compile(r"(?<!-),\s+|\s+samt\s+")
_SINCE = re.compile(r"\s+(?:sedan|från|år)\s+(?:19|20)\d\d\b.*$")  # "ordförande sedan 2021": when, not what


def _positions(phrase: str) -> list[str]:
    """The positions an enumeration lists: "ambassadör i Belgrad, chef för X vid OSSE och chef för Y" gives
    three. A comma always parts two; "och" only after a position named its place ("biträdande
    avdelningschef på Sida och tillförordnad chef på …"): "ekonomichef och biträdande avdelningschef" is one."""
    found = []
    for item in _POSITION_BREAK.split(_SINCE.sub("", phrase)):
        while (place := _CV_ORG.search(item)) and (joint := _AND_MORE.search(item, place.end())):
            found.append(item[: joint.start()])
            item = item[joint.end() :]
        found.append(item.strip().removeprefix("som ").strip())
    return [f for f in found if f]


def _offset_of_word(text: str, index: int) -> int:
    """Character offset of the index-th white-space separated word of text."""
    return [m.start() for m in re.finditer(r"\S+", text)][index]


def _line_start_near(text: str, position: int) -> int:
    """Where the line holding `position` begins, or, on a line longer than NEAR_CHARS, the first whole word
    within NEAR_CHARS before it."""
    floor = max(0, position - NEAR_CHARS)
    line_break = text.rfind("\n", floor, position)
    if line_break != -1 or floor == 0:
        return line_break + 1
    space = text.find(" ", floor, position)
    return space + 1 if space != -1 else position


def _alone_on_its_line(text: str, start: int, end: int) -> int | None:
    """The end of the line when text[start:end] stands alone on it (white space aside), else None."""
    before = start
    while before > 0 and text[before - 1] in " \t":
        before -= 1
    after = end
    while after < len(text) and text[after] in " \t":
        after += 1
    if (before == 0 or text[before - 1] == "\n") and after < len(text) and text[after] == "\n":
        return after
    return None


class _Shapes:
    """The role shapes over one role lexicon (and the patterns made from it)."""

    def __init__(self, lexicon: RoleLexicon, patterns: RolePatterns):
        self.lexicon = lexicon
        self.patterns = patterns

    def after_name(self, doc: Doc, text: str, person: PersonMention, next_start: int) -> list[RoleLink]:
        rest = text[person.end : person.end + NEAR_CHARS]
        match = _AFTER_NAME.match(rest)
        if match and person.end + match.end("role") > next_start:
            return []  # the phrase runs into the next name: "…, socialnämndens ordförande Iosif Karambotis"
        party_match = _PARTY_ONLY.match(rest)
        if not match:
            return (self.appointment(doc, text, person, next_start) or self.role_right_after(doc, text, rest, person)
                    or self.biography(doc, text, person, next_start))
        party = match.group("party") or match.group("party2") or (party_match.group("party") if party_match else None)
        strict = bool(match.group("dash")) or (not party and not self.after_speech(text, person))
        end = person.end + match.end("role")
        links = self.phrase_links(doc, text, person, match.group("role"), party, end, strict, 0.85 if party else 0.75)
        while links and (more := _NEXT_APPOSITION.match(text, end, min(end + NEAR_CHARS, next_start))):
            # "Anna Bellman, moderator, föreläsare och talartränare": each further title, while it is one
            found = self.phrase_links(doc, text, person, more.group("role"), party, more.end("role"), True, 0.7)
            if not found:
                break
            links, end = links + found, more.end("role")
        return links or self.biography(doc, text, person, next_start)  # "Johanna Adami, som varit ordförande"

    def biography(self, doc: Doc, text: str, person: PersonMention, next_start: int) -> list[RoleLink]:
        """ "Pontus Rosenberg är i dag ministerråd …", "Hon har tidigare varit styrelseledamot i Cision,
        chef för X och rådgivare vid Y": each position a role (as written, without its place); the first
        must hold a role word ("är född 1959" gives none)."""
        start = person.end
        if relative := _RELATIVE.match(text, start, start + NEAR_CHARS):  # "Johanna Adami, som varit ordförande"
            start = relative.end()
        match = self.patterns.biography.match(text[start : start + NEAR_CHARS])
        if not match or start + match.end("role") > next_start:
            return []
        return self.positions(doc, text, person, match.group("role"), start + match.end("role"), 0.6)

    def appointment(self, doc: Doc, text: str, person: PersonMention, next_start: int) -> list[RoleLink]:
        """ "Regeringen har utsett Magnus Rydén till ambassadör i Dublin", "Anna Berg utses till ny
        generaldirektör och chef för Myndigheten X": the positions after "till"."""
        match = self.patterns.appointed.match(text[person.end : person.end + NEAR_CHARS])
        if not match or person.end + match.end("role") > next_start:
            return []
        if not match.group("passive") and not self.patterns.appointing.search(
                text[_line_start_near(text, person.start) : person.start]):
            return []
        return self.positions(doc, text, person, match.group("role"), person.end + match.end("role"), 0.7)

    def positions(self, doc: Doc, text: str, person: PersonMention, phrase: str, end: int, score: float
                  ) -> list[RoleLink]:
        """The roles of an enumeration of positions, up to where the clause goes on."""
        links: list[RoleLink] = []
        for position in _positions(self.patterns.clause_goes_on.sub("", phrase.strip())):
            if not position[0].islower():  # "…, Digidem Lab och Jenny Stenberg": names, not positions
                break
            role, *org = _CV_ORG.split(self.patterns.new_role.sub("", position), maxsplit=1)
            # a position too long to be one title: "generaldirektör och chef för Myndigheten för …"
            parts = [role] if self.looks_like_role(role, strict=True) else _AND_MORE.split(role)
            roles = [part for part in parts if self.looks_like_role(part, strict=True)]
            if not roles and not links:
                return []
            links += [self.link(doc, text, person, part.lower(), None, org[0] if org else None, person.start, end,
                                score) for part in roles]
        return links

    def phrase_links(self, doc: Doc, text: str, person: PersonMention, phrase: str, party: str | None, end: int,
                     strict: bool, score: float) -> list[RoleLink]:
        """The roles of a phrase after a name: up to where the clause goes on, one per "och" part, each
        without its organisation."""
        phrase = self.patterns.clause_goes_on.sub("", phrase.strip())
        parts = _AND_MORE.split(phrase)
        if len(phrase.split()) > MAX_PHRASE_WORDS or not any(
                self.looks_like_role(self.split_org(part)[0], strict=strict) for part in parts):
            return []
        links = []
        for part in parts:
            role, org = self.split_org(part)
            if role and self.looks_like_role(role, strict=False):
                links.append(self.link(doc, text, person, role, party, org, person.start, end, score))
        return links

    def cv_lines(self, doc: Doc, text: str, persons: list[PersonMention]) -> list[RoleLink]:
        """ "2010 – 2014   Generalkonsul, Jeddah": each position a CV line gives, for the person named last
        before it; the position is one role ("rådgivare och biträdande kanslichef"), without its place."""
        links = []
        ends = [p.end for p in persons]  # persons come in text order
        for match in _CV_LINE.finditer(text):
            named_before = bisect.bisect_right(ends, match.start())
            if not named_before:
                continue
            role = _CV_ORG.split(match.group("position").strip(), maxsplit=1)[0].lower()
            if self.looks_like_role(role, strict=True):
                person = persons[named_before - 1]
                link = self.link(doc, text, person, role, None, None, match.start("position"), match.end(), 0.6)
                link.start, link.end = match.start("position"), match.end()
                link.evidence = match.group(0).strip()
                links.append(link)
        return links

    def role_right_after(self, doc: Doc, text: str, rest: str, person: PersonMention) -> list[RoleLink]:
        """A role word straight after the name, or "… ingår som forskare"."""
        lexicon = self.lexicon
        links = []
        match = self.patterns.role_right_after.match(rest)
        if match and lexicon.is_role_word(match.group("role")):
            more = self.patterns.sequence.findall(match.group("more"))
            for role in (match.group("role"), *more):
                if lexicon.is_role_word(role):
                    links.append(self.link(doc, text, person, role, None, None, person.start,
                                           person.end + match.end(), 0.6))
        match = self.patterns.as_role.match(rest)
        if match and lexicon.is_role_word(match.group("role")):
            links.append(self.link(doc, text, person, match.group("role"), None, None, person.start,
                                   person.end + match.end(), 0.6))
        return links

    def before_name(self, doc: Doc, text: str, person: PersonMention) -> list[RoleLink]:
        """ "civilminister Erik Slottner", "socialnämndens ordförande Iosif Karambotis (S)", "vice statsminister
        och energi- och näringsminister Ebba Busch" (two roles), "gymnasie-, högskole- och forskningsminister"."""
        line_start = _line_start_near(text, person.start)
        words = text[line_start : person.start].split()
        party_match = _PARTY_ONLY.match(text[person.end : person.end + NEAR_CHARS])
        party = party_match.group("party") if party_match else None
        links = []
        end = len(words)
        while end and (self.lexicon.is_role_word(words[end - 1].strip(","))
                       or self.lexicon.is_definite_role_word(words[end - 1].strip(","))):
            first, org = self.title_before(words, end)
            role = " ".join(words[first:end]).strip(",").lower()
            start = line_start + _offset_of_word(text[line_start : person.start], first)
            links.append(self.link(doc, text, person, role, party, org, start, person.end, 0.85))
            if first >= 2 and words[first - 1] in ("och", "samt"):  # "vice statsminister och energi- … minister"
                end = first - 1
            else:
                break
        return links

    def title_before(self, words: list[str], end: int) -> tuple[int, str | None]:
        """Where the title that ends at words[end - 1] begins, and the organisation a genitive before it names:
        coordinated parts ("infrastruktur- och", "gymnasie-, högskole- och"), genitive attributes
        ("kommunstyrelsens"), qualifiers ("vice", "biträdande"); "MFOF:s generaldirektör" gives MFOF."""
        qualifiers = {q.casefold() for q in self.lexicon.qualifiers}
        index, org = end - 1, None
        while index > 0 and end - index < 6:
            word = words[index - 1]
            coordinated = word.endswith(("-", "-,")) or (word == "och" and index > 1 and words[index - 2].endswith("-"))
            genitive = word.islower() and word.endswith("s") and len(word) > 3
            if coordinated or genitive or word.casefold() in qualifiers:
                index -= 1
            else:
                if _GENITIVE_ORG.fullmatch(word):
                    org = re.sub(r":?s$", "", word)
                break
        return index, org

    def contact_block(self, doc: Doc, text: str, person: PersonMention) -> list[RoleLink]:
        """A name alone on its line and a short role on the next."""
        line_end = _alone_on_its_line(text, person.start, person.end)
        if line_end is None:
            return []
        next_end = text.find("\n", line_end + 1, line_end + 1 + NEAR_CHARS)
        if next_end == -1 and line_end + 1 + NEAR_CHARS < len(text):
            return []  # the next line is far longer than a role
        next_line = text[line_end + 1 : next_end if next_end != -1 else len(text)].strip()
        if not next_line or any(c.isdigit() for c in next_line) or len(next_line.split()) > MAX_ROLE_WORDS:
            return []
        role, org = self.split_org(next_line)
        if not self.looks_like_role(role, strict=True):
            return []
        return [self.link(doc, text, person, role, None, org, person.start, line_end + 1 + len(next_line), 0.8)]

    def split_org(self, phrase: str) -> tuple[str, str | None]:
        parts = self.patterns.split_org.split(phrase, maxsplit=1)
        role = parts[0].strip().lower()
        org = parts[1].strip() if len(parts) > 1 else None
        if org:
            org = re.sub(r"\s+(kommun|stad)$", "", org)
        return role, org

    def looks_like_role(self, phrase: str, strict: bool) -> bool:
        """Short, not a sentence; with `strict`, it must hold a role word from the lexicon."""
        words = phrase.split()
        if not 1 <= len(words) <= MAX_ROLE_WORDS or any(w.lower() in self.lexicon.not_role_words for w in words):
            return False
        if any(c.isdigit() for c in phrase):
            return False
        lexicon = self.lexicon
        has_role_word = any(lexicon.is_role_word(w.strip(",.")) for w in words)
        return has_role_word or (not strict and words[0][0].islower())

    def after_speech(self, text: str, person: PersonMention) -> bool:
        before = text[max(0, person.start - 40) : person.start].split()
        return bool(before) and before[-1].casefold() in self.lexicon.speech_verbs

    def link(
        self,
        doc: Doc,
        text: str,
        person: PersonMention,
        role: str,
        party: str | None,
        org: str | None,
        start: int,
        end: int,
        score: float,
    ) -> RoleLink:
        span = doc.char_span(person.start, person.end, alignment_mode="expand")
        evidence = (sentence_of(span) if span is not None else None) or text[start:end]
        if "\n" in text[start:end]:  # contact blocks cross sentence boundaries
            evidence = text[min(start, person.start) : max(end, person.end)]
        return RoleLink(
            person.name,
            role.strip(" -–"),
            party if party in self.lexicon.parties else None,
            org,
            min(start, person.start),
            max(end, person.end),
            evidence,
            score,
        )
