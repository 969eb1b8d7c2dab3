"""Attributes no code gives a value (`reviewer.semantics.fields`), and the ways a value gets in."""

from __future__ import annotations

import textwrap

from reviewer.analysis import analyze
from reviewer.registry import load_rules
from reviewer.rule import RepoContext
from reviewer.semantics.fields import FieldFacts

RULES = [rule for rule in load_rules() if rule.checklist == "async-io"]

MODELS = '''
from dataclasses import dataclass

from pydantic import BaseModel, Field
from pydantic_settings import BaseSettings


class Artifacts(BaseModel):
    traces_dir: str | None = None
    profile_dir: str | None = Field(default=None)
    har_path: str | None = None
    video_dir: str | None = None
    log_dir: str | None = None
    cache_dir: str | None = None
    zip_dir: str | None = None
    mail_dir: str | None = None
    label: str | None = None


class Labelled(BaseModel):
    label: str = "default"


class Upload(BaseModel):
    scratch_dir: str | None = None


class Replay(BaseModel):
    export_dir: str | None = None


class DumpSettings(BaseSettings):
    dump_dir: str | None = None


class Row:
    spool_dir: str | None = None

    def __init__(self, *values):
        self.values = values


class Saved(BaseModel):
    backup_dir: str | None = None

    @classmethod
    def load(cls, data: dict) -> "Saved":
        return cls(**data)


class Base(BaseModel):
    inbox_dir: str | None = None


class Child(Base):
    pass


class Aliased(BaseModel):
    alias_dir: str | None = None


class Listed(BaseModel):
    list_dir: str | None = None


class Kept(BaseModel):
    kept_dir: str | None = None


class Inner(BaseModel):
    outbox_dir: str | None = None


class Outer(BaseModel):
    inner: Inner


class Clone(BaseModel):
    copy_dir: str | None = None

    def twin(self) -> "Clone":
        return type(self)(**self.model_dump())


class Fork(BaseModel):
    fork_dir: str | None = None

    def again(self, data: dict) -> "Fork":
        return self.__class__(**data)


@dataclass(frozen=True)
class Frozen:
    frozen_dir: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "frozen_dir", "/tmp/frozen")


class Cleared:
    def __init__(self) -> None:
        self.trash_dir = None

    trash_dir: str | None = None


def build(har_path: str | None = None, traces_dir: str | None = None) -> Artifacts:
    return Artifacts(har_path=har_path, traces_dir=traces_dir)
'''

USES = '''
from fastapi import FastAPI

from app import models
from app.models import Artifacts, Replay, Row, Upload, build

app = FastAPI()


def session() -> Artifacts:
    artifacts = build("/tmp/a.har")
    artifacts.video_dir = "/tmp/video"
    logged = Artifacts(log_dir="/var/log/app")
    copied = artifacts.model_copy(update={"cache_dir": "/tmp/cache"})
    setattr(copied, "zip_dir", "/tmp/zip")
    vars(copied)["mail_dir"] = "/tmp/mail"
    return logged


@app.post("/uploads")
async def upload(body: Upload) -> dict:
    return {"name": body.scratch_dir}


def replay(raw: dict, row: tuple) -> Replay:
    Row(*row)
    models.Kept(**raw)
    chosen = models.Aliased
    chosen(**raw)
    {"listed": models.Listed}[raw["kind"]].model_validate(raw)
    return Replay.model_validate(raw)
'''


def unset_fields() -> set[str]:
    files = {"app/models.py": MODELS, "app/uses.py": USES}
    summaries = [analyze(path, textwrap.dedent(source).encode(), RULES, {}).summary
                 for path, source in files.items()]
    fields = RepoContext(RULES[0], summaries, {}).facts(FieldFacts)
    names = ("traces_dir", "profile_dir", "har_path", "video_dir", "log_dir", "cache_dir", "zip_dir", "label",
             "scratch_dir", "export_dir", "dump_dir", "spool_dir", "backup_dir", "inbox_dir", "outbox_dir",
             "trash_dir", "copy_dir", "fork_dir", "kept_dir", "alias_dir", "list_dir", "frozen_dir",
             "mail_dir", "values")
    return {name for name in names if fields.unset(name)}


def test_only_fields_no_code_can_give_a_value_are_unset() -> None:
    # har_path: a call passes, by position, the parameter `build` hands on; video_dir: assigned; log_dir: a
    # keyword; cache_dir: a dict's key; zip_dir: `setattr`; label: another class declares it
    # otherwise; scratch_dir: a route's body; export_dir: `model_validate`; dump_dir: the
    # environment fills settings; spool_dir: built from positional values; backup_dir: `cls(**data)`;
    # inbox_dir: subclassed; outbox_dir: a field of another model; copy_dir, fork_dir: built from
    # data by their own methods; kept_dir: `models.Kept(**raw)`; alias_dir, list_dir: the class is
    # used as a value (another name builds it); frozen_dir: `object.__setattr__`; mail_dir: a
    # subscript assigned; values: declared by no class.
    assert unset_fields() == {"traces_dir", "profile_dir", "trash_dir"}
