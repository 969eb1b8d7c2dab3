"""Generate a synthetic FastAPI/SQLAlchemy repository, deterministically from a seed.

The repository looks like a real service: one package per business domain, each with a router
(async routes, dependencies, pydantic bodies), a service (SQLAlchemy 2.0 async sessions, some sync
helpers, outbound HTTP), models (declarative mapped classes), schemas (pydantic models) and
shared settings, database setup and Alembic migrations. A small share of the code carries the
problems the reviewer looks for (blocking calls in coroutines, SQL built with f-strings,
hardcoded secrets, `SELECT *`), so rules have findings to report, as they would on real code.

    python bench/generate.py OUT --lines 100000 --seed 1

The same seed and size always give byte-identical files.
"""

from __future__ import annotations

import argparse
import random
import shutil
from pathlib import Path

NOUNS = [
    "account", "invoice", "order", "customer", "product", "shipment", "payment", "refund", "ticket",
    "project", "member", "team", "report", "subscription", "coupon", "warehouse", "supplier", "review",
    "session", "device", "message", "channel", "webhook", "document", "folder", "tag", "comment", "event",
    "incident", "alert", "plan", "quota", "region", "tenant", "audit", "export", "upload", "job", "task",
    "workflow", "template", "contract", "lead", "campaign", "asset", "license", "policy", "case", "note",
]
FIELD_TYPES = [
    ("str", "String(255)", "\"example\""),
    ("int", "Integer", "0"),
    ("bool", "Boolean", "False"),
    ("float", "Float", "0.0"),
    ("datetime", "DateTime(timezone=True)", "None"),
    ("Decimal", "Numeric(12, 2)", "Decimal(\"0\")"),
]
ADJECTIVES = ["active", "pending", "archived", "primary", "external", "internal", "draft", "public"]
FIELD_NAMES = [
    "name", "title", "status", "amount", "quantity", "priority", "description", "reference", "owner_id",
    "score", "currency", "country", "is_enabled", "is_deleted", "created_by", "external_id", "label",
    "position", "weight", "code", "slug", "notes", "due_at", "closed_at", "version", "source", "kind",
]


def camel(name: str) -> str:
    return "".join(part.capitalize() for part in name.split("_"))


class Domain:
    def __init__(self, rng: random.Random, noun: str, index: int) -> None:
        self.noun = noun if index < len(NOUNS) else f"{noun}_{index // len(NOUNS)}"
        self.cls = camel(self.noun)
        self.table = f"{self.noun}s"
        count = rng.randint(5, 12)
        names = rng.sample(FIELD_NAMES, count)
        self.fields = [(name, *rng.choice(FIELD_TYPES)) for name in names]


def _fields_block(domain: Domain, indent: str, style: str) -> list[str]:
    lines = []
    for name, py_type, sa_type, default in domain.fields:
        if style == "model":
            nullable = "True" if default == "None" else "False"
            annotation = f"{py_type} | None" if nullable == "True" else py_type
            lines.append(f"{indent}{name}: Mapped[{annotation}] = mapped_column({sa_type}, nullable={nullable})")
        elif style == "schema":
            annotation = f"{py_type} | None" if default == "None" else py_type
            lines.append(f"{indent}{name}: {annotation} = {default}")
        elif style == "update":
            lines.append(f"{indent}{name}: {py_type} | None = None")
    return lines


def models_module(rng: random.Random, domain: Domain, project: str) -> str:
    out = [
        f'"""Database models of the {domain.noun} domain."""',
        "",
        "from __future__ import annotations",
        "",
        "from datetime import datetime",
        "from decimal import Decimal",
        "from uuid import UUID, uuid4",
        "",
        "from sqlalchemy import Boolean, DateTime, Float, ForeignKey, Integer, Numeric, String, func",
        "from sqlalchemy.orm import Mapped, mapped_column, relationship",
        "",
        f"from {project}.db.base import Base",
        "",
    ]
    for variant in range(rng.randint(2, 4)):
        name = domain.cls if variant == 0 else f"{domain.cls}{camel(rng.choice(ADJECTIVES))}{variant}"
        out += [
            "",
            f"class {name}(Base):",
            f'    """A {domain.noun} record ({variant})."""',
            "",
            f'    __tablename__ = "{domain.table}_{variant}"',
            "",
            "    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid4)",
            *_fields_block(domain, "    ", "model"),
            "    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())",
            "    updated_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True), onupdate=func.now())",
        ]
        if variant:
            out += [
                f'    parent_id: Mapped[UUID] = mapped_column(ForeignKey("{domain.table}_0.id"))',
                f'    parent: Mapped["{domain.cls}"] = relationship(lazy="selectin")',
            ]
        out += [
            "",
            "    def __repr__(self) -> str:",
            f'        return f"<{name} {{self.id}}>"',
            "",
            "    @property",
            "    def display_name(self) -> str:",
            f"        return str(getattr(self, {domain.fields[0][0]!r}, self.id))",
        ]
    return "\n".join(out) + "\n"


def schemas_module(rng: random.Random, domain: Domain) -> str:
    out = [
        f'"""Request and response bodies of the {domain.noun} API."""',
        "",
        "from __future__ import annotations",
        "",
        "from datetime import datetime",
        "from decimal import Decimal",
        "from uuid import UUID",
        "",
        "from pydantic import BaseModel, ConfigDict, Field, field_validator",
        "",
        "",
        f"class {domain.cls}Base(BaseModel):",
        *_fields_block(domain, "    ", "schema"),
        "",
        "",
        f"class {domain.cls}Create({domain.cls}Base):",
        "    pass",
        "",
        "",
        f"class {domain.cls}Update(BaseModel):",
        *_fields_block(domain, "    ", "update"),
        "",
        "",
        f"class {domain.cls}Read({domain.cls}Base):",
        "    model_config = ConfigDict(from_attributes=True)",
        "",
        "    id: UUID",
        "    created_at: datetime",
        "",
        "",
        f"class {domain.cls}Page(BaseModel):",
        f"    items: list[{domain.cls}Read]",
        "    total: int = Field(ge=0)",
        "    page: int = Field(ge=1)",
        "    size: int = Field(ge=1, le=100)",
    ]
    for index in range(rng.randint(1, 3)):
        field_name = domain.fields[index % len(domain.fields)][0]
        out += [
            "",
            "",
            f"class {domain.cls}Filter{index}(BaseModel):",
            f"    {field_name}: str | None = None",
            "    limit: int = Field(50, ge=1, le=500)",
            "",
            f'    @field_validator("{field_name}")',
            "    @classmethod",
            "    def strip(cls, value: str | None) -> str | None:",
            "        return value.strip() if value else value",
        ]
    return "\n".join(out) + "\n"


def service_module(rng: random.Random, domain: Domain, project: str, planted: bool) -> str:
    cls = domain.cls
    out = [
        f'"""Business logic of the {domain.noun} domain."""',
        "",
        "from __future__ import annotations",
        "",
        "import logging",
        "import time",
        "from uuid import UUID",
        "",
        "import httpx",
        "import requests",
        "from sqlalchemy import delete, func, select, text, update",
        "from sqlalchemy.ext.asyncio import AsyncSession",
        "from sqlalchemy.orm import Session",
        "",
        f"from {project}.core.settings import settings",
        f"from {project}.{domain.noun}.models import {cls}",
        f"from {project}.{domain.noun}.schemas import {cls}Create, {cls}Update",
        "",
        "logger = logging.getLogger(__name__)",
        "",
        "",
        f"class {cls}NotFound(Exception):",
        "    pass",
        "",
        "",
        f"async def get_{domain.noun}(session: AsyncSession, {domain.noun}_id: UUID) -> {cls}:",
        f"    result = await session.execute(select({cls}).where({cls}.id == {domain.noun}_id))",
        "    found = result.scalar_one_or_none()",
        "    if found is None:",
        f"        raise {cls}NotFound(str({domain.noun}_id))",
        "    return found",
        "",
        "",
        f"async def list_{domain.noun}s(",
        "    session: AsyncSession, offset: int = 0, limit: int = 50",
        f") -> tuple[list[{cls}], int]:",
        f"    total = await session.scalar(select(func.count()).select_from({cls}))",
        f"    rows = await session.scalars(select({cls}).offset(offset).limit(limit).order_by({cls}.created_at))",
        "    return list(rows), total or 0",
        "",
        "",
        f"async def create_{domain.noun}(session: AsyncSession, body: {cls}Create) -> {cls}:",
        f"    record = {cls}(**body.model_dump())",
        "    session.add(record)",
        "    await session.commit()",
        "    await session.refresh(record)",
        f'    logger.info("created {domain.noun} %s", record.id)',
        "    return record",
        "",
        "",
        f"async def update_{domain.noun}(session: AsyncSession, {domain.noun}_id: UUID, body: {cls}Update) -> {cls}:",
        f"    record = await get_{domain.noun}(session, {domain.noun}_id)",
        "    for key, value in body.model_dump(exclude_unset=True).items():",
        "        setattr(record, key, value)",
        "    await session.commit()",
        "    return record",
        "",
        "",
        f"async def delete_{domain.noun}(session: AsyncSession, {domain.noun}_id: UUID) -> None:",
        f"    await session.execute(delete({cls}).where({cls}.id == {domain.noun}_id))",
        "    await session.commit()",
    ]
    for index in range(rng.randint(6, 14)):
        field_name, *_ = rng.choice(domain.fields)
        kind = rng.randrange(6)
        name = f"{rng.choice(ADJECTIVES)}_{domain.noun}_{field_name}_{index}"
        out += ["", ""]
        if kind == 0:
            out += [
                f"async def fetch_{name}(client: httpx.AsyncClient, key: str) -> dict:",
                f'    response = await client.get(f"{{settings.api_url}}/{domain.table}/{{key}}", timeout=10)',
                "    response.raise_for_status()",
                "    payload = response.json()",
                f'    return {{"key": key, "{field_name}": payload.get("{field_name}")}}',
            ]
        elif kind == 1:
            out += [
                f"def sync_{name}(session: Session, limit: int = 100) -> int:",
                f"    rows = session.execute(select({cls}.id, {cls}.{field_name}).limit(limit)).all()",
                "    changed = 0",
                "    for row in rows:",
                "        if row[1] is None:",
                f"            session.execute(update({cls}).where({cls}.id == row[0]).values({field_name}=None))",
                "            changed += 1",
                "    session.commit()",
                "    return changed",
            ]
        elif kind == 2:
            out += [
                f"async def count_{name}(session: AsyncSession, value: str) -> int:",
                f'    statement = text("SELECT count(id) FROM {domain.table} WHERE {field_name} = :value")',
                "    result = await session.execute(statement, {\"value\": value})",
                "    return int(result.scalar() or 0)",
            ]
        elif kind == 3:
            out += [
                f"def summarize_{name}(records: list[{cls}]) -> dict[str, int]:",
                "    counts: dict[str, int] = {}",
                "    for record in records:",
                f"        key = str(getattr(record, {field_name!r}, None))",
                "        counts[key] = counts.get(key, 0) + 1",
                "    return dict(sorted(counts.items(), key=lambda item: (-item[1], item[0])))",
            ]
        elif kind == 4:
            out += [
                f"async def refresh_{name}(session: AsyncSession, ids: list[UUID]) -> list[{cls}]:",
                f"    rows = await session.scalars(select({cls}).where({cls}.id.in_(ids)))",
                "    refreshed = []",
                "    for row in rows:",
                '        logger.debug("refreshing %s", row.id)',
                "        refreshed.append(row)",
                "    return refreshed",
            ]
        else:
            out += [
                f"def notify_{name}(url: str, payload: dict) -> bool:",
                "    response = requests.post(url, json=payload, timeout=5)",
                "    return response.ok",
            ]
    if planted:
        field_name = domain.fields[0][0]
        out += [
            "",
            "",
            f"async def slow_{domain.noun}_export(session: AsyncSession, term: str) -> list:",
            "    time.sleep(0.5)",
            f'    query = f"SELECT * FROM {domain.table} WHERE {field_name} = \'{{term}}\'"',
            "    rows = await session.execute(text(query))",
            '    requests.get(settings.api_url + "/hooks/export", timeout=3)',
            "    return list(rows)",
        ]
    return "\n".join(out) + "\n"


def router_module(rng: random.Random, domain: Domain, project: str) -> str:
    cls, noun = domain.cls, domain.noun
    out = [
        f'"""HTTP API of the {noun} domain."""',
        "",
        "from __future__ import annotations",
        "",
        "from uuid import UUID",
        "",
        "from fastapi import APIRouter, Depends, HTTPException, Query, status",
        "from sqlalchemy.ext.asyncio import AsyncSession",
        "",
        f"from {project}.core.auth import CurrentUser, get_current_user",
        f"from {project}.db.session import get_session",
        f"from {project}.{noun} import service",
        f"from {project}.{noun}.schemas import {cls}Create, {cls}Page, {cls}Read, {cls}Update",
        "",
        f'router = APIRouter(prefix="/{domain.table}", tags=["{noun}"])',
        "",
        "",
        f'@router.get("", response_model={cls}Page)',
        f"async def list_{noun}s(",
        "    page: int = Query(1, ge=1),",
        "    size: int = Query(50, ge=1, le=100),",
        "    session: AsyncSession = Depends(get_session),",
        f") -> {cls}Page:",
        f"    items, total = await service.list_{noun}s(session, offset=(page - 1) * size, limit=size)",
        f"    return {cls}Page(items=items, total=total, page=page, size=size)",
        "",
        "",
        f'@router.get("/{{{noun}_id}}", response_model={cls}Read)',
        f"async def read_{noun}({noun}_id: UUID, session: AsyncSession = Depends(get_session)) -> {cls}Read:",
        "    try:",
        f"        return await service.get_{noun}(session, {noun}_id)",
        f"    except service.{cls}NotFound:",
        f'        raise HTTPException(status.HTTP_404_NOT_FOUND, "{noun} not found") from None',
        "",
        "",
        f'@router.post("", response_model={cls}Read, status_code=status.HTTP_201_CREATED)',
        f"async def create_{noun}(",
        f"    body: {cls}Create,",
        "    session: AsyncSession = Depends(get_session),",
        "    user: CurrentUser = Depends(get_current_user),",
        f") -> {cls}Read:",
        f"    return await service.create_{noun}(session, body)",
        "",
        "",
        f'@router.patch("/{{{noun}_id}}", response_model={cls}Read)',
        f"async def update_{noun}(",
        f"    {noun}_id: UUID,",
        f"    body: {cls}Update,",
        "    session: AsyncSession = Depends(get_session),",
        "    user: CurrentUser = Depends(get_current_user),",
        f") -> {cls}Read:",
        f"    return await service.update_{noun}(session, {noun}_id, body)",
        "",
        "",
        f'@router.delete("/{{{noun}_id}}", status_code=status.HTTP_204_NO_CONTENT)',
        f"async def delete_{noun}(",
        f"    {noun}_id: UUID,",
        "    session: AsyncSession = Depends(get_session),",
        "    user: CurrentUser = Depends(get_current_user),",
        ") -> None:",
        f"    await service.delete_{noun}(session, {noun}_id)",
    ]
    for index in range(rng.randint(2, 8)):
        field_name = rng.choice(domain.fields)[0]
        out += [
            "",
            "",
            f'@router.get("/by-{field_name}/{{value}}/{index}", response_model=list[{cls}Read])',
            f"async def find_by_{field_name}_{index}(",
            "    value: str,",
            "    limit: int = Query(20, ge=1, le=100),",
            "    session: AsyncSession = Depends(get_session),",
            f") -> list[{cls}Read]:",
            f"    items, _ = await service.list_{noun}s(session, limit=limit)",
            f"    return [item for item in items if str(getattr(item, {field_name!r}, '')) == value]",
        ]
    return "\n".join(out) + "\n"


def migration_module(rng: random.Random, domain: Domain, number: int, previous: str | None) -> tuple[str, str]:
    revision = f"{rng.getrandbits(48):012x}"
    columns = [
        f'        sa.Column("{name}", sa.{sa_type.split("(")[0]}(), nullable={default == "None"}),'
        for name, _, sa_type, default in domain.fields
    ]
    downgrade = (
        [f'    op.drop_table("{domain.table}_{number}")']
        if rng.random() > 0.1
        else ["    pass"]
    )
    text = "\n".join([
        f'"""create {domain.table} table ({number})',
        "",
        f"Revision ID: {revision}",
        f"Revises: {previous or ''}",
        '"""',
        "",
        "import sqlalchemy as sa",
        "from alembic import op",
        "",
        f'revision = "{revision}"',
        f"down_revision = {previous!r}",
        "branch_labels = None",
        "depends_on = None",
        "",
        "",
        "def upgrade() -> None:",
        "    op.create_table(",
        f'        "{domain.table}_{number}",',
        '        sa.Column("id", sa.Uuid(), nullable=False),',
        *columns,
        '        sa.PrimaryKeyConstraint("id"),',
        "    )",
        f'    op.create_index("ix_{domain.table}_{number}_created", "{domain.table}_{number}", ["id"])',
        "",
        "",
        "def downgrade() -> None:",
        *downgrade,
        "",
    ])
    return revision, text


def fixed_modules(project: str) -> dict[str, str]:
    return {
        f"{project}/__init__.py": "",
        f"{project}/core/__init__.py": "",
        f"{project}/db/__init__.py": "",
        f"{project}/core/settings.py": "\n".join([
            '"""Settings, read from the environment."""',
            "",
            "from pydantic_settings import BaseSettings, SettingsConfigDict",
            "",
            "",
            "class Settings(BaseSettings):",
            '    model_config = SettingsConfigDict(env_file=".env", env_prefix="APP_")',
            "",
            '    database_url: str = "postgresql+asyncpg://app@localhost/app"',
            '    api_url: str = "https://api.example.com"',
            "    debug: bool = False",
            '    jwt_secret: str = "change-me"',
            '    sentry_dsn: str | None = None',
            "",
            "",
            "settings = Settings()",
            "",
        ]),
        f"{project}/core/auth.py": "\n".join([
            '"""Authentication dependency."""',
            "",
            "from typing import Annotated",
            "",
            "import jwt",
            "from fastapi import Depends, HTTPException, status",
            "from fastapi.security import OAuth2PasswordBearer",
            "from pydantic import BaseModel",
            "",
            f"from {project}.core.settings import settings",
            "",
            'oauth2 = OAuth2PasswordBearer(tokenUrl="/auth/token")',
            "",
            "",
            "class User(BaseModel):",
            "    id: str",
            "    email: str",
            "",
            "",
            "async def get_current_user(token: Annotated[str, Depends(oauth2)]) -> User:",
            "    try:",
            '        claims = jwt.decode(token, settings.jwt_secret, algorithms=["HS256"])',
            "    except jwt.PyJWTError:",
            '        raise HTTPException(status.HTTP_401_UNAUTHORIZED, "invalid token") from None',
            '    return User(id=claims["sub"], email=claims["email"])',
            "",
            "",
            "CurrentUser = User",
            "",
        ]),
        f"{project}/db/base.py": "\n".join([
            '"""Declarative base."""',
            "",
            "from sqlalchemy.orm import DeclarativeBase",
            "",
            "",
            "class Base(DeclarativeBase):",
            "    pass",
            "",
        ]),
        f"{project}/db/session.py": "\n".join([
            '"""Database engine and the session dependency."""',
            "",
            "from collections.abc import AsyncIterator",
            "",
            "from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine",
            "",
            f"from {project}.core.settings import settings",
            "",
            "engine = create_async_engine(settings.database_url, pool_pre_ping=True)",
            "SessionLocal = async_sessionmaker(engine, expire_on_commit=False)",
            "",
            "",
            "async def get_session() -> AsyncIterator[AsyncSession]:",
            "    async with SessionLocal() as session:",
            "        yield session",
            "",
        ]),
    }


def generate(out: Path, lines: int, seed: int) -> dict[str, int]:
    """Write the repository into `out` (replacing it); returns its file and line counts."""
    rng = random.Random(seed)
    project = "app"
    if out.exists():
        shutil.rmtree(out)
    files = fixed_modules(project)
    total = sum(text.count("\n") for text in files.values())
    routers: list[str] = []
    previous: str | None = None
    index = 0
    while total < lines:
        domain = Domain(rng, NOUNS[index % len(NOUNS)], index)
        package = f"{project}/{domain.noun}"
        modules = {
            f"{package}/__init__.py": "",
            f"{package}/models.py": models_module(rng, domain, project),
            f"{package}/schemas.py": schemas_module(rng, domain),
            f"{package}/service.py": service_module(rng, domain, project, planted=rng.random() < 0.15),
            f"{package}/router.py": router_module(rng, domain, project),
        }
        for number in range(rng.randint(1, 3)):
            previous, text = migration_module(rng, domain, number, previous)
            modules[f"migrations/versions/{index:04d}_{number}_{previous}.py"] = text
        files.update(modules)
        total += sum(text.count("\n") for text in modules.values())
        routers.append(domain.noun)
        index += 1
    main_lines = [
        '"""The application."""',
        "",
        "from fastapi import FastAPI",
        "",
        *(f"from {project}.{noun}.router import router as {noun}_router" for noun in routers),
        "",
        'app = FastAPI(title="synthetic")',
        *(f"app.include_router({noun}_router)" for noun in routers),
        "",
    ]
    files[f"{project}/main.py"] = "\n".join(main_lines)
    total += len(main_lines)
    for relpath, text in files.items():
        target = out / relpath
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text, encoding="utf-8")
    return {"files": len(files), "lines": total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path)
    parser.add_argument("--lines", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    counts = generate(args.out, args.lines, args.seed)
    print(f"{args.out}: {counts['files']} files, {counts['lines']} lines")


if __name__ == "__main__":
    main()
