"""The rule pack: rules as YAML data, validated strictly when loaded.

A pack folder holds one rule per `*.yaml` file and phrase groups in `phrases/*.yaml`. Loading is
strict: a malformed file, a duplicate code, a signal that names no phrase group, a condition key
that does not exist, a rule whose conditions can never be met, or a phrase group example that
does not match as it says are all `RulePackError`s naming the file. Whether each rule fires on its
own `flag` examples and stays quiet on its `pass` ones takes the engine, which is built on this
module: `pullcheck.example_check` runs them (and the config loads packs through it).

`when` conditions (all must hold):

- `kinds`: draft kinds the rule applies to;
- `any` / `all` / `none`: signals (phrase groups, or built-ins from `pullcheck.features`);
- `parent_asks`: allowed answers of `ask_of(parent)` (yes, no, unknown);
- `min_links`, `max_links`, `min_mentions`, `max_mentions`, `max_words`;
- `new_follower`, `prior_conversation`: allowed values among true, false, unknown;
- `near_duplicate_recipients`: this many distinct people (this draft's included) received a
  near-duplicate with a link within `params.window_hours` (`params.max_distance` bits apart);
- `any_of`: a list of nested conditions, at least one of which must hold;
- `parent_question`: whether the parent holds a question mark (a question the ask wording
  did not catch may still be an ask);
- `second_opinion`: true when the learned model (`pullcheck.second_opinion`) must say the draft
  reads like spam, false when it must not (checked last: it is the costliest condition).

A number may be written as `$param`, taken from the rule's `params` (which the user may override).

A rule's `status` says what users get (Ruff's rule lifecycle): `stable` rules run by default;
`preview` rules run only when the config turns them on by code (`rules: {PP208: on}` or
`shadow`); `deprecated` rules still run and say what replaces them (`replaced_by`). A removed
rule leaves the pack: its code goes to `retired.yaml` in its folder, which no rule may use again
(codes never change meaning), and a config that turns it on is an error naming the line.

Each `flag` example pins where its finding points: `span: "our agency"` (the exact words of the
example's text the finding highlights; `occurrence: 2` when they occur more than once), or
`span: none` for a finding that points at no words (a message sent to too many people).
"""

from __future__ import annotations

import hashlib
import re
import sys
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.resources import files
from pathlib import Path
from types import ModuleType
from typing import Annotated, Any, Literal

import pydantic
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)
from pydantic.json_schema import SkipJsonSchema, WithJsonSchema

from pullcheck import __version__, pack_store, second_opinion
from pullcheck.collector import collector_paused
from pullcheck.context_facts import read_facts
from pullcheck.features import BUILTIN_SIGNALS
from pullcheck.located_yaml import YamlProblem, line_of, read_located_yaml
from pullcheck.models import Draft, Kind, ReplyTarget, Severity
from pullcheck.pack_memo import PartMemo, files_digest
from pullcheck.phrases import Phrasebook, PhraseError, load_phrase_file
from pullcheck.places import cache_dir
from pullcheck.second_opinion import ModelError, builtin_model
from pullcheck.topics import LEXICON_FILE, TopicLexicon, TopicLexiconError, load_lexicon

ALL_KINDS: tuple[str, ...] = ("post", "reply", "quote", "dm", "comment", "connect-note")
MIN_EXAMPLES = 3
PHRASES_FOLDER = "phrases"
# In a rule folder, the codes no rule may take again (not a rule file itself).
RETIRED_FILE = "retired.yaml"
# `span: none`: the finding points at no words of the draft.
NO_SPAN = "none"
CODE_PATTERN = r"^PP\d{3}$"
NAME_PATTERN = r"^[a-z][a-z0-9]*(?:-[a-z0-9]+)*$"

Status = Literal["stable", "preview", "deprecated"]
STATUSES: tuple[str, ...] = ("stable", "preview", "deprecated", "removed")

# `other`: the parent asks, but not for what this draft offers (or not of this writer).
Answer = Literal["yes", "no", "unknown", "other"]
Tristate = bool | Literal["unknown"]
PARENT_ASKS_SCHEMA: dict[str, Any] = {
    "anyOf": [
        {
            "type": "array",
            "items": {"anyOf": [{"enum": ["yes", "no", "unknown", "other"]}, {"type": "boolean"}]},
        },
        {"type": "null"},
    ],
    "default": None,
}
Number = int | str


class RulePackError(ValueError):
    """A rule pack cannot load. `file` names the offending file, `code` the rule when known,
    `line` where in the file when known."""

    def __init__(
        self,
        message: str,
        file: Path | str | None = None,
        code: str | None = None,
        line: int | None = None,
    ):
        self.file = Path(file) if file is not None else None
        self.code = code
        self.line = line
        self.reason = message
        where = f"{file}:{line}" if file is not None and line is not None else file
        super().__init__(f"{where}: {message}" if file is not None else message)


# The rule models' validators are built when a pack is first validated, not at import (each
# model below says `defer_build`): a process that reads the shipped pack back from disk
# (`pullcheck.pack_store`) validates no rule and does not pay for them (issue 13).
class Conditions(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    kinds: list[Kind] | None = None
    any_signals: list[str] = Field(default_factory=list, alias="any")
    all_signals: list[str] = Field(default_factory=list, alias="all")
    none_signals: list[str] = Field(default_factory=list, alias="none")
    # The schema also takes true/false: YAML 1.1 (PyYAML) reads a bare yes/no so.
    parent_asks: Annotated[list[Answer] | None, WithJsonSchema(PARENT_ASKS_SCHEMA)] = None
    min_links: Number | None = None
    max_links: Number | None = None
    min_mentions: Number | None = None
    max_mentions: Number | None = None
    max_words: Number | None = None
    new_follower: list[Tristate] | None = None
    prior_conversation: list[Tristate] | None = None
    near_duplicate_recipients: Number | None = None
    any_of: list[Conditions] | None = None
    parent_question: bool | None = None
    second_opinion: bool | None = None

    @field_validator(
        "min_links",
        "max_links",
        "min_mentions",
        "max_mentions",
        "max_words",
        "near_duplicate_recipients",
    )
    @classmethod
    def number_or_param(cls, value: Number | None) -> Number | None:
        if isinstance(value, bool):
            raise ValueError("must be a number or a $param reference")
        if isinstance(value, str) and not re.fullmatch(r"\$[a-z_][a-z0-9_]*", value):
            raise ValueError("must be a number or a $param reference")
        return value

    @field_validator("parent_asks", mode="before")
    @classmethod
    def yaml_yes_no(cls, value: Any) -> Any:
        # YAML 1.1 reads a bare yes/no as a boolean; mean the words.
        if isinstance(value, list):
            return [
                {True: "yes", False: "no"}.get(item, item) if isinstance(item, bool) else item
                for item in value
            ]
        return value

    def signals(self) -> set[str]:
        named = set(self.any_signals) | set(self.all_signals) | set(self.none_signals)
        for nested in self.any_of or ():
            named |= nested.signals()
        return named

    def numbers(self) -> list[tuple[str, Number]]:
        found = [
            (name, getattr(self, name))
            for name in (
                "min_links",
                "max_links",
                "min_mentions",
                "max_mentions",
                "max_words",
                "near_duplicate_recipients",
            )
            if getattr(self, name) is not None
        ]
        for nested in self.any_of or ():
            found.extend(nested.numbers())
        return found

    def uses_history(self) -> bool:
        if self.near_duplicate_recipients is not None:
            return True
        return any(nested.uses_history() for nested in self.any_of or ())

    def uses_second_opinion(self) -> bool:
        if self.second_opinion is not None:
            return True
        return any(nested.uses_second_opinion() for nested in self.any_of or ())


class SentBefore(BaseModel):
    """A message already sent before an example (for rules that look at the sent history)."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    text: str
    to: str
    minutes_ago: float = 10.0


class Example(BaseModel):
    """A draft with its situation, written next to the rule it illustrates."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    text: str
    kind: Kind = "post"
    platform: str = "x"
    parent: str | None = None
    parent_author: str | None = None
    recipients: list[str] = Field(default_factory=list)
    links: list[str] = Field(default_factory=list)
    new_follower: bool | None = None
    prior_conversation: bool | None = None
    context: str = ""
    sent_before: list[SentBefore] = Field(default_factory=list)
    note: str = ""
    # Where the finding points (flag examples): the exact words of `text`, or `none`.
    span: str | None = Field(default=None, min_length=1)
    # Which occurrence of `span` in `text` (1-based), needed when the words occur more than once.
    occurrence: int | None = Field(default=None, ge=1)

    @model_validator(mode="after")
    def span_is_in_the_text(self) -> Example:
        if self.span is None and self.occurrence is not None:
            raise ValueError("'occurrence' needs a 'span'")
        if self.span is not None:
            self.pinned_span()
        return self

    def pinned_span(self) -> tuple[int, int] | None:
        """The (start, end) the finding must point at, None for `span: none` (or no `span`);
        a ValueError when the span is not in the text, or occurs more than once with no
        `occurrence`."""
        if self.span is None:
            return None
        if self.span == NO_SPAN:
            if self.occurrence is not None:
                raise ValueError("'occurrence' needs a 'span' of words, not 'none'")
            return None
        starts = [match.start() for match in re.finditer(re.escape(self.span), self.text)]
        if not starts:
            raise ValueError(f"span {self.span!r} is not in the text (it must be copied exactly)")
        if self.occurrence is None:
            if len(starts) > 1:
                raise ValueError(
                    f"span {self.span!r} occurs {len(starts)} times in the text; "
                    "say which with 'occurrence: N'"
                )
            return (starts[0], starts[0] + len(self.span))
        if self.occurrence > len(starts):
            raise ValueError(
                f"'occurrence: {self.occurrence}' but span {self.span!r} occurs "
                f"{len(starts)} time(s) in the text"
            )
        start = starts[self.occurrence - 1]
        return (start, start + len(self.span))

    def to_draft(self) -> Draft:
        # The context is read as facts (`writer is @acme`), as `pullcheck check --context` does;
        # the example's own fields win.
        facts = read_facts(self.context)
        reply_to = None
        if self.parent is not None or self.parent_author is not None or facts.addressed:
            reply_to = ReplyTarget(
                author=self.parent_author, text=self.parent, addressed=tuple(facts.addressed)
            )
        return Draft(
            platform=self.platform,
            kind=self.kind,
            text=self.text,
            author=facts.writer,
            reply_to=reply_to,
            recipients=list(self.recipients),
            links=list(self.links),
            recipient_is_new_follower=(
                self.new_follower if self.new_follower is not None else facts.new_follower
            ),
            prior_conversation=(
                self.prior_conversation
                if self.prior_conversation is not None
                else facts.prior_conversation
            ),
            context=self.context,
        )


class Examples(BaseModel):
    model_config = ConfigDict(extra="forbid", populate_by_name=True, defer_build=True)

    flag: list[Example] = Field(min_length=MIN_EXAMPLES)
    pass_: list[Example] = Field(alias="pass", min_length=MIN_EXAMPLES)

    @model_validator(mode="after")
    def spans_only_on_flag_examples(self) -> Examples:
        for index, example in enumerate(self.pass_):
            if example.span is not None:
                raise ValueError(
                    f"pass[{index}] pins a span, but a passing example has no finding to point"
                )
        return self


class RuleLink(BaseModel):
    """A reference: where the reasoning behind a rule can be read."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    title: str = Field(min_length=1)
    url: str = Field(pattern=r"^https?://[^\s]+$")


class Rule(BaseModel):
    """One rule: what it catches, why it matters, what to do instead, and its examples.

    Everything `pullcheck explain CODE` prints comes from here: `description` (what it does;
    falls back to `message`), `why`, `examples`, `instead`, `known_problems`.
    """

    model_config = ConfigDict(extra="forbid", defer_build=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(pattern=NAME_PATTERN)
    # stable: on by default; preview: off unless the config turns it on; deprecated: still on,
    # on its way out (see `replaced_by`). A removed rule is listed in `retired.yaml` instead.
    status: Status = "stable"
    # For a deprecated rule: the rule that does its job now, if any.
    replaced_by: str | None = Field(default=None, pattern=CODE_PATTERN)
    severity: Severity
    weight: float = Field(ge=-100, le=100)
    # push findings raise the score and the level; pull findings lower the score only.
    effect: Literal["push", "pull"] = "push"
    message: str = Field(min_length=1)
    short: str = Field(min_length=1)
    description: str = ""
    why: str = Field(min_length=1)
    instead: str = Field(min_length=1)
    known_problems: str = ""
    shadow: bool = False
    params: dict[str, int | float] = Field(default_factory=dict)
    when: Conditions
    examples: Examples
    # References: where the reasoning behind the rule can be read (`pullcheck explain`, README).
    links: list[RuleLink] = Field(default_factory=list)
    # Set by the loader: where the rule came from (not part of the YAML).
    source: SkipJsonSchema[Path | None] = Field(default=None, exclude=True)

    @field_validator("status", mode="before")
    @classmethod
    def removed_is_not_a_rule(cls, value: Any) -> Any:
        if value == "removed":
            raise ValueError(
                f"a removed rule leaves the pack: delete its file and list its code in "
                f"{RETIRED_FILE} (with the reason), so no rule takes the code again"
            )
        return value

    @model_validator(mode="after")
    def replacement_only_when_deprecated(self) -> Rule:
        if self.replaced_by is not None and self.status != "deprecated":
            raise ValueError("'replaced_by' is for a deprecated rule ('status: deprecated')")
        if self.replaced_by == self.code:
            raise ValueError("'replaced_by' names the rule itself")
        return self

    @property
    def what_it_does(self) -> str:
        return self.description or self.message


class RetiredRule(BaseModel):
    """A code that left the pack. It stays reserved: no rule may take it (or its name) again,
    and a config that turns it on is told why it is gone."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    code: str = Field(pattern=CODE_PATTERN)
    name: str = Field(pattern=NAME_PATTERN)
    reason: str = Field(min_length=1)
    replaced_by: str | None = Field(default=None, pattern=CODE_PATTERN)
    # The release that removed it ("0.2.0"), when known.
    removed_in: str = ""

    def explanation(self) -> str:
        """One sentence for error messages: what it was and why it went."""
        text = f"rule {self.code} ({self.name}) was removed"
        if self.removed_in:
            text += f" in {self.removed_in}"
        text += f": {' '.join(self.reason.split()).rstrip('.')}"
        if self.replaced_by:
            text += f"; use {self.replaced_by} instead"
        return text


class RetiredFile(BaseModel):
    """`retired.yaml`: the codes of removed rules, kept so they never change meaning."""

    model_config = ConfigDict(extra="forbid", defer_build=True)

    retired: list[RetiredRule] = Field(default_factory=list)


@dataclass(frozen=True)
class RulePack:
    rules: tuple[Rule, ...]
    phrasebook: Phrasebook
    folders: tuple[Path, ...] = ()
    by_code: dict[str, Rule] = field(default_factory=dict)
    # What asks seek and offers are about (`pullcheck.topics`).
    topics: TopicLexicon = field(default_factory=TopicLexicon)
    # Removed rules by code (`retired.yaml` of every folder).
    retired: dict[str, RetiredRule] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.by_code:
            self.by_code.update({rule.code: rule for rule in self.rules})

    def get(self, code: str) -> Rule | None:
        return self.by_code.get(code.upper())

    def codes(self) -> list[str]:
        return [rule.code for rule in self.rules]

    def only(self, code: str) -> RulePack:
        """A pack with this one rule (and every phrase group): rules are tested alone."""
        return RulePack(
            (self.by_code[code],),
            self.phrasebook,
            self.folders,
            topics=self.topics,
            retired=self.retired,
        )

    def retired_rule(self, code_or_name: str) -> RetiredRule | None:
        """The removed rule with this code or name, if there is one."""
        found = self.retired.get(code_or_name.upper())
        if found is None:
            found = next((r for r in self.retired.values() if r.name == code_or_name), None)
        return found


# A pack and its phrasebook are large (every phrase compiled); a few are enough for a config
# and the edit before it. Rules are small, and a user may keep many.
_PACKS: PartMemo[RulePack] = PartMemo(size=4)
_PHRASEBOOKS: PartMemo[Phrasebook] = PartMemo(size=4)
_RULES: PartMemo[Rule] = PartMemo(size=256)
_LEXICONS: PartMemo[TopicLexicon] = PartMemo(size=4)


def builtin_rules_dir() -> Path:
    """The rule pack shipped inside the package (`rules/` in the repository)."""
    return Path(str(files("pullcheck.rules")))


def load_phrasebook(folders: list[Path], builtin_examples: bool = False) -> Phrasebook:
    """Every phrase group in `folder/phrases/*.yaml`; a group name may appear only once (once
    per language for a group's wording in another language). Each group's examples are checked
    as it loads, except the shipped pack's unless `builtin_examples`: the test suite checks
    those (tests/test_rulebook_loading.py), and running them at every start cost seconds.

    The same folders with the same phrase files give the phrasebook built before in this
    process (`pullcheck.pack_memo`): an edit of a rule file does not compile the phrases again."""
    paths = [Path(folder) for folder in folders]
    key = (tuple(str(folder.resolve()) for folder in paths), builtin_examples)

    def build() -> Phrasebook:
        with collector_paused():
            return _build_phrasebook(paths, builtin_examples)

    return _PHRASEBOOKS.get_or_build(key, _phrase_files(paths), build)


def _phrase_files(folders: list[Path]) -> list[Path]:
    found: list[Path] = []
    for folder in folders:
        phrase_dir = folder / PHRASES_FOLDER
        if phrase_dir.is_dir():
            found.extend(sorted(phrase_dir.glob("*.yaml")))
    return found


def _build_phrasebook(folders: list[Path], builtin_examples: bool) -> Phrasebook:
    book = Phrasebook()
    origin: dict[tuple[str, str | None], Path] = {}
    built_in_dir = builtin_rules_dir().resolve()
    for folder in folders:
        phrase_dir = Path(folder) / PHRASES_FOLDER
        if not phrase_dir.is_dir():
            continue
        # The user's patterns go to the linear-time engine; the shipped ones are vetted.
        built_in = Path(folder).resolve() == built_in_dir
        for path in sorted(phrase_dir.glob("*.yaml")):
            try:
                groups = load_phrase_file(path, built_in, builtin_examples or not built_in)
            except PhraseError as error:
                raise RulePackError(str(error), path) from error
            for group in groups:
                key = (group.name, group.language)
                if key in origin:
                    where = f" ({group.language})" if group.language else ""
                    raise RulePackError(
                        f"phrase group '{group.name}'{where} is already defined in {origin[key]}",
                        path,
                    )
                origin[key] = path
                book.add(group)
    return book


def load_rule_pack(
    folders: list[Path], check_examples: bool = True, builtin_examples: bool = False
) -> RulePack:
    """Load and validate rules and phrase groups from `folders` (later folders add rules).

    With `check_examples`, every phrase group of your own folders must pass its examples to
    load (rules' examples: `pullcheck.example_check`). The shipped pack's examples run only
    with `builtin_examples`: it cannot change after release, the test suite runs them all, and
    at every start they cost seconds.

    The same folders with the same files give the pack loaded before in this process, and an
    edit reuses the parts it left alone (`pullcheck.pack_memo`)."""
    paths = [Path(folder) for folder in folders]
    for folder in paths:
        if not folder.is_dir():
            raise RulePackError("rule folder does not exist", folder)
    key = (tuple(str(folder.resolve()) for folder in paths), check_examples, builtin_examples)
    # Every file a load reads: the folders' YAML (rules, phrases, lexicon) and the learned model
    # that rules asking for a second opinion check for.
    read = [path for folder in paths for path in sorted(folder.rglob("*.yaml"))]
    read.append(second_opinion.builtin_model_path())

    def build() -> RulePack:
        with collector_paused():
            return _build_rule_pack(paths, check_examples, builtin_examples)

    # The shipped pack (whose examples are not run at load) is also kept on disk, for the next
    # process; no other: your own rules' examples must run each time they load.
    shipped = [folder.resolve() for folder in paths] == [builtin_rules_dir().resolve()]
    if shipped and not builtin_examples:
        return _PACKS.get_or_build(key, read, lambda: _stored_pack(read, build))
    return _PACKS.get_or_build(key, read, build)


# The modules whose objects a stored pack holds (tests/test_pack_store.py checks that no other
# module's do): a change of their code must not read back a pack pickled by the old code.
PACK_MODULES = (
    "pullcheck.rulebook",
    "pullcheck.phrases",
    "pullcheck.phrase_matcher",
    "pullcheck.phrase_patterns",
    "pullcheck.phrase_syntax",
    "pullcheck.topics",
)


def stored_pack_name() -> str:
    """One stored pack per installed copy of pullcheck (named after where its rules are), so
    that two installs, say a virtual environment and a system one, do not keep replacing each
    other's; a new version in the same place replaces the old."""
    where = str(builtin_rules_dir().resolve()).encode("utf-8", "surrogateescape")
    return "builtin-pack-" + hashlib.sha256(where).hexdigest()[:16]


def stored_pack_key(read: list[Path]) -> str:
    """What a stored pack was built from: the bytes of the files it read, the source of the code
    whose objects it holds, and the versions of pullcheck, pydantic and Python."""
    sources = [path for name in PACK_MODULES for path in _code_files(sys.modules[name])]
    versions = f"{__version__}\0{pydantic.VERSION}\0{sys.version}"
    parts = (files_digest(read), files_digest(sources), versions)
    return hashlib.sha256("\0".join(parts).encode()).hexdigest()


def _code_files(module: ModuleType) -> list[Path]:
    """The files a module's code comes from: the file it runs from and, when that is a compiled
    copy (`pullcheck.compiled`), the source it was built from (a compiled module's own file is
    a small loader whose bytes need not change with the code)."""
    running = Path(str(module.__file__))
    source = running.with_name(module.__name__.rpartition(".")[2] + ".py")
    return [running, source] if source != running and source.is_file() else [running]


def _stored_pack(read: list[Path], build: Callable[[], RulePack]) -> RulePack:
    """The pack stored on disk from the same files and code (`pullcheck.pack_store`), else
    `build()`'s, its phrase indexes built, stored for the next process."""
    try:
        folder = cache_dir()
    except RuntimeError:  # no home folder to keep a cache in: build the pack each time
        return build()
    key = stored_pack_key(read)
    found = pack_store.load(folder, stored_pack_name(), key)
    if isinstance(found, RulePack):
        return found
    pack = build()
    pack.phrasebook.build_indexes()
    # A file edited while the pack was built: the pack may mix both versions; keep it off disk.
    if stored_pack_key(read) == key:
        pack_store.save(folder, stored_pack_name(), key, pack)
    return pack


def _build_rule_pack(paths: list[Path], check_examples: bool, builtin_examples: bool) -> RulePack:
    phrasebook = load_phrasebook(paths, builtin_examples=check_examples and builtin_examples)
    try:
        topics = _LEXICONS.get_or_build(
            tuple(str(folder) for folder in paths),
            [folder / LEXICON_FILE for folder in paths],
            lambda: load_lexicon(paths),
        )
    except TopicLexiconError as error:
        raise RulePackError(str(error)) from error
    known_signals = set(phrasebook.names()) | set(BUILTIN_SIGNALS)
    retired = load_retired(paths)
    retired_names = {entry.name: entry for entry in retired.values()}
    rules: list[Rule] = []
    origin: dict[str, Path] = {}
    names: dict[str, Path] = {}
    for folder in paths:
        for path in sorted(folder.glob("*.yaml")):
            if path.name == RETIRED_FILE:
                continue
            rule = _read_rule(path)
            gone = retired.get(rule.code) or retired_names.get(rule.name)
            if gone is not None:
                taken = "code" if gone.code == rule.code else "name"
                raise RulePackError(
                    f"the {taken} of rule {rule.code} ({rule.name}) is retired: "
                    f"{gone.explanation()}. A retired {taken} never comes back (it would change "
                    f"meaning in people's configs); pick a new one",
                    path,
                    rule.code,
                    line_in_file(path, ("code",) if taken == "code" else ("name",)),
                )
            if rule.code in origin:
                raise RulePackError(
                    f"duplicate rule code {rule.code} (already in {origin[rule.code]})",
                    path,
                    rule.code,
                )
            if rule.name in names:
                raise RulePackError(
                    f"duplicate rule name {rule.name} (already in {names[rule.name]})",
                    path,
                    rule.code,
                )
            _check_signals(rule, known_signals, path)
            _check_params(rule, path)
            _check_model(rule, path)
            reason = never_fires(rule.when, rule.params)
            if reason:
                raise RulePackError(f"rule {rule.code} can never fire: {reason}", path, rule.code)
            origin[rule.code] = path
            names[rule.name] = path
            rules.append(rule)
    _check_replacements(rules, retired)
    return RulePack(tuple(rules), phrasebook, tuple(paths), topics=topics, retired=retired)


def _read_rule(path: Path) -> Rule:
    """One rule file, validated; the same bytes give the rule validated before."""
    return _RULES.get_or_build(str(path), [path], lambda: _validated_rule(path))


def _validated_rule(path: Path) -> Rule:
    """One rule file, validated; an error names the line and key as well as the file."""
    raw = _read_mapping(path, "a rule file must hold one mapping (code, name, when, ...)")
    try:
        rule = Rule.model_validate(raw)
    except ValidationError as error:
        code = raw.get("code") if isinstance(raw.get("code"), str) else None
        raise _validation_error(error, path, code) from error
    rule.source = path
    return rule


def _read_mapping(path: Path, what: str) -> dict[str, Any]:
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        raise RulePackError(f"cannot read: {error}", path) from error
    try:
        located = read_located_yaml(text, path)
    except YamlProblem as problem:
        raise RulePackError(problem.message, path, line=problem.line) from None
    if located.problems:
        # A key written twice: PyYAML would keep the last silently, and the first edit would
        # seem to do nothing.
        twice, message = located.problems[0]
        raise RulePackError(message, path, line=twice.line)
    raw = located.data
    if not isinstance(raw, dict):
        raise RulePackError(what, path)
    return raw


def _validation_error(error: ValidationError, path: Path, code: str | None) -> RulePackError:
    """pydantic's first complaint as a RulePackError naming the key and its line."""
    first = error.errors()[0]
    loc = tuple(first["loc"])
    where = ".".join(str(part) for part in loc)
    message = str(first["msg"]).removeprefix("Value error, ")
    return RulePackError(f"key '{where}': {message}", path, code, line_in_file(path, loc))


def line_in_file(path: Path, key: tuple[str | int, ...]) -> int | None:
    """The line where `key` (or the nearest key above it) is written in a YAML file."""
    try:
        located = read_located_yaml(path.read_text(encoding="utf-8"), path)
    except (OSError, UnicodeDecodeError, YamlProblem):
        return None
    where = line_of(located.where, key)
    return where.line if where is not None else None


def load_retired(folders: list[Path]) -> dict[str, RetiredRule]:
    """The retired codes of every folder's `retired.yaml`; a code retired twice is an error."""
    retired: dict[str, RetiredRule] = {}
    origin: dict[str, Path] = {}
    for folder in folders:
        path = Path(folder) / RETIRED_FILE
        if not path.is_file():
            continue
        raw = _read_mapping(path, "a retired-codes file holds one mapping: 'retired: [...]'")
        try:
            entries = RetiredFile.model_validate(raw).retired
        except ValidationError as error:
            raise _validation_error(error, path, None) from error
        for index, entry in enumerate(entries):
            if entry.code in origin:
                raise RulePackError(
                    f"code {entry.code} is retired twice (already in {origin[entry.code]})",
                    path,
                    entry.code,
                    line_in_file(path, ("retired", index)),
                )
            origin[entry.code] = path
            retired[entry.code] = entry
    return retired


def _check_replacements(rules: list[Rule], retired: dict[str, RetiredRule]) -> None:
    """A deprecated or retired rule's `replaced_by` must name a rule of the pack."""
    codes = {rule.code for rule in rules}
    for rule in rules:
        if rule.replaced_by is not None and rule.replaced_by not in codes:
            raise RulePackError(
                f"rule {rule.code}: 'replaced_by: {rule.replaced_by}' names no rule of the pack",
                rule.source,
                rule.code,
                line_in_file(rule.source, ("replaced_by",)) if rule.source else None,
            )
    for entry in retired.values():
        if entry.replaced_by is not None and entry.replaced_by not in codes:
            raise RulePackError(
                f"retired rule {entry.code}: 'replaced_by: {entry.replaced_by}' names no rule "
                "of the pack",
                None,
                entry.code,
            )


def _check_signals(rule: Rule, known: set[str], path: Path) -> None:
    unknown = sorted(rule.when.signals() - known)
    if unknown:
        raise RulePackError(
            f"rule {rule.code} names unknown phrase group or signal {', '.join(unknown)} "
            f"(known: {', '.join(sorted(known))})",
            path,
            rule.code,
        )


def _check_params(rule: Rule, path: Path) -> None:
    for key, value in rule.when.numbers():
        if isinstance(value, str) and value[1:] not in rule.params:
            raise RulePackError(
                f"rule {rule.code}: '{key}: {value}' names a param the rule does not define",
                path,
                rule.code,
            )
    if rule.when.uses_history():
        for needed in ("window_hours", "max_distance"):
            if needed not in rule.params:
                raise RulePackError(
                    f"rule {rule.code} counts near-duplicates and needs params.{needed}",
                    path,
                    rule.code,
                )


def _check_model(rule: Rule, path: Path) -> None:
    """A rule that asks the learned model needs a readable model file: say so by name, rather
    than letting its examples fail for no visible reason."""
    if not rule.when.uses_second_opinion():
        return
    try:
        builtin_model()
    except ModelError as error:
        raise RulePackError(
            f"rule {rule.code} asks the learned second opinion, which cannot load: {error}",
            path,
            rule.code,
        ) from error


def resolve(value: Number | None, params: dict[str, Any]) -> float | None:
    """A condition number, with `$param` looked up in the (possibly user-overridden) params."""
    if value is None:
        return None
    if isinstance(value, str):
        return float(params[value[1:]])
    return float(value)


def never_fires(when: Conditions, params: dict[str, Any]) -> str | None:
    """Why these conditions can never all hold at once, or None when they can."""
    if when.kinds is not None and not when.kinds:
        return "'kinds' is empty"
    for name in ("parent_asks", "new_follower", "prior_conversation"):
        if getattr(when, name) is not None and not getattr(when, name):
            return f"'{name}' allows no value"
    clash = set(when.all_signals) & set(when.none_signals)
    if clash:
        return f"{', '.join(sorted(clash))} is both required ('all') and forbidden ('none')"
    if when.any_signals and set(when.any_signals) <= set(when.none_signals):
        return "every signal in 'any' is also in 'none'"
    bounds = (("min_links", "max_links"), ("min_mentions", "max_mentions"))
    for low_name, high_name in bounds:
        low = resolve(getattr(when, low_name), params)
        high = resolve(getattr(when, high_name), params)
        if low is not None and high is not None and low > high:
            return f"'{low_name}' ({low:g}) is above '{high_name}' ({high:g})"
    for signal, low_name, high_name in (
        ("link", "min_links", "max_links"),
        ("mention", "min_mentions", "max_mentions"),
    ):
        low = resolve(getattr(when, low_name), params) or 0
        high = resolve(getattr(when, high_name), params)
        if low >= 1 and signal in when.none_signals:
            return f"'{low_name}' needs a {signal} but 'none' forbids {signal}"
        needs = signal in when.all_signals or (when.any_signals == [signal])
        if needs and high is not None and high < 1:
            return f"'{signal}' is required but '{high_name}' is {high:g}"
    if when.any_of is not None:
        if not when.any_of:
            return "'any_of' is empty"
        reasons = []
        for nested in when.any_of:
            merged_kinds = when.kinds
            if when.kinds is not None and nested.kinds is not None:
                merged_kinds = [kind for kind in nested.kinds if kind in when.kinds]
                if not merged_kinds:
                    reasons.append("its kinds share none with the rule's kinds")
                    continue
            reason = never_fires(nested, params)
            if reason:
                reasons.append(reason)
                continue
            return None
        return "no alternative in 'any_of' can hold (" + "; ".join(reasons) + ")"
    return None


def builtin_pack() -> RulePack:
    return load_rule_pack([builtin_rules_dir()])
