"""migration-safety (RVW721-RVW725): locking and failing operations of Alembic upgrades on existing
tables, by dialect, with op.* calls, batch blocks and SQL text."""

from __future__ import annotations

HEAD = '''"""revision"""

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "aaaaaaaaaaaa"
down_revision = "bbbbbbbbbbbb"
'''


def _module(upgrade: str) -> str:
    return HEAD + f"\n\ndef upgrade():\n{upgrade}\n\ndef downgrade():\n    pass\n"


def _found(check_json, *select: str) -> set[tuple[str, int, str]]:
    _, report = check_json("--select", ",".join(select), ".")
    return {(f["path"], f["line"], f["code"]) for f in report["findings"]}


def test_not_null_columns_without_a_server_default(write, check_json) -> None:
    write({"migrations/versions/a.py": _module(
        '    op.add_column("t", sa.Column("a", sa.Integer(), nullable=False))\n'
        '    op.add_column("t", sa.Column("b", sa.Integer(), nullable=False, server_default="0"))\n'
        '    op.add_column("t", sa.Column("c", sa.Integer(), nullable=False, server_default=None))\n'
        '    op.add_column("t", sa.Column("d", sa.Integer()))\n'
        '    op.add_column("t", sa.Column("e", sa.String(), primary_key=True))\n'
        '    op.add_column("t", sa.Column("f", sa.BigInteger(), primary_key=True))\n'
        '    op.add_column("t", sa.Column("g", sa.Integer(), sa.Computed("a + 1"), nullable=False))\n'
        '    op.execute("ALTER TABLE t ADD COLUMN h int NOT NULL DEFAULT 0")\n'
        '    op.execute("ALTER TABLE t ADD COLUMN i int NOT NULL")\n'
        '    op.execute("TRUNCATE t2")\n'
        '    op.add_column("t2", sa.Column("j", sa.Integer(), nullable=False))\n'
        '    op.create_table("n", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.add_column("n", sa.Column("k", sa.Integer(), nullable=False))'
    )})
    assert _found(check_json, "RVW721") == {
        ("migrations/versions/a.py", line, "RVW721") for line in (12, 14, 16, 20)
    }


def test_indexes_without_concurrently_by_dialect(write, check_json) -> None:
    guarded = (
        '    if op.get_bind().dialect.name == "sqlite":\n'
        '        op.create_index("ix_a", "t", ["a"])\n'
        '    else:\n'
        '        op.create_index("ix_b", "t", ["b"])\n'
        '    with op.get_context().autocommit_block():\n'
        '        op.create_index("ix_c", "t", ["c"], postgresql_concurrently=True)\n'
        '        op.execute("CREATE INDEX CONCURRENTLY ix_d ON t (d)")\n'
        '    op.execute(sa.text("CREATE UNIQUE INDEX ix_e ON t (e)"))\n'
        '    op.create_table("n", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.create_index("ix_n", "n", ["id"])\n'
        '    with op.batch_alter_table("t") as batch_op:\n'
        '        batch_op.create_index(batch_op.f("ix_f"), ["f"])'
    )
    early_return = (
        '    if op.get_bind().dialect.name != "postgresql":\n        return\n    op.create_index("ix", "t", ["a"])'
    )
    write({
        "migrations/versions/a.py": _module(guarded),
        "migrations/versions/b.py": _module(early_return),
        "migrations/versions/sqlite/c.py": _module('    op.create_index("ix", "t", ["a"])'),
    })
    assert _found(check_json, "RVW722") == {
        ("migrations/versions/a.py", 15, "RVW722"),
        ("migrations/versions/a.py", 19, "RVW722"),
        ("migrations/versions/a.py", 23, "RVW722"),
        ("migrations/versions/b.py", 14, "RVW722"),
    }


def test_type_changes_that_rewrite_and_those_that_do_not(write, check_json) -> None:
    write({"migrations/versions/a.py": _module(
        '    op.alter_column("t", "a", type_=sa.BigInteger(), existing_type=sa.Integer())\n'
        '    op.alter_column("t", "b", type_=sa.String(length=100), existing_type=sa.String(length=50))\n'
        '    op.alter_column("t", "c", type_=sa.Text(), existing_type=sa.VARCHAR(length=50))\n'
        '    op.alter_column("t", "d", type_=sa.String(length=20), existing_type=sa.String(length=50))\n'
        '    op.alter_column("t", "e", type_=sa.Text())\n'
        '    op.alter_column("t", "f", type_=postgresql.JSONB())\n'
        '    op.alter_column("t", "g", nullable=True)\n'
        '    op.execute("ALTER TABLE t ALTER COLUMN h TYPE uuid USING h::uuid")\n'
        '    op.add_column("t", sa.Column("i", sa.Integer(), nullable=True))\n'
        '    op.alter_column("t", "i", type_=sa.BigInteger())'
    )})
    assert _found(check_json, "RVW723") == {
        ("migrations/versions/a.py", line, "RVW723") for line in (12, 15, 17, 19)
    }


def test_constraints_validated_at_once(write, check_json) -> None:
    write({"migrations/versions/a.py": _module(
        '    op.create_foreign_key("fk_a", "t", "u", ["u_id"], ["id"])\n'
        '    op.create_foreign_key("fk_b", "t", "u", ["u_id"], ["id"], postgresql_not_valid=True)\n'
        '    op.create_check_constraint("ck_c", "t", "c > 0")\n'
        '    op.execute("ALTER TABLE t ADD CONSTRAINT ck_d CHECK (d > 0) NOT VALID")\n'
        '    op.execute("ALTER TABLE t ADD CONSTRAINT fk_e FOREIGN KEY (e) REFERENCES u (id)")\n'
        '    op.create_table("n", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.create_foreign_key("fk_n", "n", "u", ["id"], ["id"])'
    )})
    assert _found(check_json, "RVW724") == {
        ("migrations/versions/a.py", line, "RVW724") for line in (12, 14, 16)
    }


def test_renames_on_existing_tables_but_not_in_sqlite_revisions(write, check_json) -> None:
    body = (
        '    op.alter_column("t", "a", new_column_name="b")\n'
        '    op.rename_table("u", "v")\n'
        '    op.execute(\'ALTER TABLE "w" RENAME TO "x"\')\n'
        '    op.add_column("t", sa.Column("tmp", sa.Integer(), nullable=True))\n'
        '    op.alter_column("t", "tmp", new_column_name="c")\n'
        '    op.create_table("n", sa.Column("id", sa.Integer(), primary_key=True))\n'
        '    op.alter_column("n", "id", new_column_name="key")'
    )
    write({"migrations/versions/a.py": _module(body), "migrations/versions/sqlite/b.py": _module(body)})
    _, report = check_json("--select", "RVW725", ".")
    assert {(f["path"], f["line"], f["code"]) for f in report["findings"]} == {
        ("migrations/versions/a.py", line, "RVW725") for line in (12, 13, 14)
    }
    messages = sorted(f["message"] for f in report["findings"])
    assert messages[0].startswith("SQL run by execute() renames table `w` to `x` in place")
    assert messages[1].startswith("op.alter_column() renames column `t.a` to `b` in place")


def test_operations_in_module_helpers_are_seen(write, check_json) -> None:
    write({"migrations/versions/a.py": HEAD + '''

def _index(name, column):
    op.create_index(name, "t", [column])


def _add():
    op.add_column("t", sa.Column("a", sa.Integer(), nullable=False))


def upgrade():
    _add()
    _index("ix_t_a", "a")


def downgrade():
    op.drop_column("t", "a")
'''})
    assert _found(check_json, "RVW72") == {
        ("migrations/versions/a.py", 12, "RVW722"),
        ("migrations/versions/a.py", 16, "RVW721"),
    }
