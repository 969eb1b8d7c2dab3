"""reversible-migrations (RVW711-RVW713): Alembic revisions whose downgrade() does not undo their
upgrade(), the look-alikes that are fine, and the generated downgrade() of RVW711."""

from __future__ import annotations

import json

HEAD = '''"""revision"""

import sqlalchemy as sa
from alembic import op

revision = "aaaaaaaaaaaa"
down_revision = "bbbbbbbbbbbb"
'''

ADDITIVE = HEAD + '''

def upgrade():
    op.create_table("tag", sa.Column("id", sa.Integer(), primary_key=True))
    op.add_column("post", sa.Column("tag_id", sa.Integer(), nullable=True), schema="blog")
    op.create_index(op.f("ix_post_tag_id"), "post", ["tag_id"], schema="blog")
    op.create_foreign_key("fk_post_tag", "post", "tag", ["tag_id"], ["id"])
    op.create_unique_constraint("uq_tag_id", "tag", ["id"])
    op.execute("UPDATE post SET tag_id = NULL")


def downgrade():
    """Nothing to do."""
'''

ADDITIVE_FIXED = ADDITIVE + '''    op.drop_constraint("uq_tag_id", "tag", type_="unique")
    op.drop_constraint("fk_post_tag", "post", type_="foreignkey")
    op.drop_index(op.f("ix_post_tag_id"), table_name="post", schema="blog")
    op.drop_column("post", "tag_id", schema="blog")
    op.drop_table("tag")
'''


def _found(check_json, *select: str) -> set[tuple[str, int, str]]:
    _, report = check_json("--select", ",".join(select), ".")
    return {(f["path"], f["line"], f["code"]) for f in report["findings"]}


def _module(upgrade: str, downgrade: str) -> str:
    return HEAD + f"\n\ndef upgrade():\n{upgrade}\n\ndef downgrade():\n{downgrade}\n"


def test_empty_downgrades_of_schema_changes_are_flagged_and_data_only_ones_are_not(write, check_json) -> None:
    write({
        "migrations/versions/a.py": _module('    op.drop_column("user", "legacy")', "    pass"),
        "migrations/versions/b.py": _module('    op.execute("ALTER TABLE t ADD COLUMN c int")', '    """No."""'),
        "migrations/versions/c.py": _module(
            '    with op.batch_alter_table("t") as batch_op:\n        batch_op.drop_column("c")',
            '    print("irreversible")\n    ...'),
        "migrations/versions/d.py": _module('    op.execute("UPDATE t SET c = 1")', "    pass"),
        "migrations/versions/e.py": _module("    pass", "    pass"),
        "migrations/versions/f.py": _module('    op.execute("ALTER TYPE status ADD VALUE \'DONE\'")', "    pass"),
        "migrations/versions/g.py": _module(
            '    op.execute("CREATE OR REPLACE VIEW v AS SELECT 1")\n    op.execute("REINDEX TABLE t")', "    pass"),
        "migrations/versions/h.py": _module("    conn = op.get_bind()\n    conn.execute(sa.update(t).values(a=1))",
                                            "    pass"),
        "migrations/versions/i.py": _module(
            '    op.alter_column("t", "c", type_=sa.String(200), existing_type=sa.String(50))', "    pass"),
        "migrations/versions/j.py": _module(
            '    op.alter_column("t", "c", type_=sa.String(20), existing_type=sa.String(50))', "    pass"),
    })
    assert _found(check_json, "RVW711") == {
        ("migrations/versions/a.py", 13, "RVW711"),
        ("migrations/versions/b.py", 13, "RVW711"),
        ("migrations/versions/c.py", 14, "RVW711"),
        ("migrations/versions/j.py", 13, "RVW711"),
    }


def test_a_raising_downgrade_is_flagged_unless_the_project_accepts_it(write, check_json, cli) -> None:
    write({"migrations/versions/a.py": _module('    op.drop_table("old")', '    raise RuntimeError("no way back")')})
    findings = check_json("--select", "RVW712", ".")[1]["findings"]
    assert [(f["line"], f["code"]) for f in findings] == [(13, "RVW712")]
    assert "downgrade() raises RuntimeError: revision aaaaaaaaaaaa cannot be rolled back" in findings[0]["message"]
    write({"pyproject.toml": '[tool.reviewer.rules.RVW712]\naccept-irreversible = true\n'})
    code, out, err = cli("check", "--select", "RVW712", "--no-cache", "--format", "json", ".")
    assert json.loads(out)["findings"] == [], err


def test_downgrades_that_leave_out_a_restore_are_flagged_with_what_they_miss(write, check_json) -> None:
    write({
        "migrations/versions/a.py": _module(
            '    op.drop_column("user", "legacy")\n    op.alter_column("user", "name", type_=sa.Text())\n'
            '    op.rename_table("crew", "team")',
            '    op.alter_column("user", "name", type_=sa.String(50))'),
        "migrations/versions/b.py": _module(
            '    op.execute("ALTER TABLE t RENAME COLUMN a TO b")\n    op.execute("DROP TABLE old")',
            '    op.execute("ALTER TABLE t RENAME COLUMN b TO a")\n'
            '    op.create_table("old", sa.Column("id", sa.Integer))'),
        "migrations/versions/c.py": _module(
            '    op.add_column("t", sa.Column("c", sa.Integer(), nullable=True))\n'
            '    op.alter_column("t", "c", nullable=False)\n    op.alter_column("t", "d", nullable=False)',
            '    op.drop_column("t", "c")'),
        "migrations/versions/d.py": _module('    op.drop_column("t", "c")', "    restore_everything(op)"),
    })
    _, report = check_json("--select", "RVW713", ".")
    assert {(f["path"], f["line"], f["code"]) for f in report["findings"]} == {
        ("migrations/versions/a.py", 15, "RVW713"),
        ("migrations/versions/c.py", 15, "RVW713"),
    }
    messages = {f["path"]: f["message"] for f in report["findings"]}
    assert "drops column `user.legacy`, renames table `crew`" in messages["migrations/versions/a.py"]
    assert "changes the type" not in messages["migrations/versions/a.py"]
    assert "`t.d`" in messages["migrations/versions/c.py"] and "`t.c`" not in messages["migrations/versions/c.py"]


def test_the_generated_downgrade_undoes_an_additive_upgrade_in_reverse_order(write, cli) -> None:
    root = write({"migrations/versions/a.py": ADDITIVE})
    code, out, _ = cli("check", "--select", "RVW711", "--no-cache", "--fix", ".")
    assert (root / "migrations/versions/a.py").read_text() == ADDITIVE  # unsafe: not without --unsafe-fixes
    code, out, _ = cli("check", "--select", "RVW711", "--no-cache", "--diff", "--unsafe-fixes", ".")
    assert '+    op.drop_table("tag")' in out
    code, out, err = cli("check", "--select", "RVW71,RVW72", "--no-cache", "--fix", "--unsafe-fixes", ".")
    assert (root / "migrations/versions/a.py").read_text() == ADDITIVE_FIXED
    assert "Fixed 1 finding" in err + out


def test_no_fix_when_an_upgrade_step_has_no_exact_inverse(write, check_json) -> None:
    write({
        "migrations/versions/a.py": _module(
            '    op.add_column("t", sa.Column("c", sa.Integer()))\n    op.alter_column("t", "d", nullable=True)',
            "    pass"),
        "migrations/versions/b.py": _module(
            '    with op.batch_alter_table("t") as batch_op:\n'
            '        batch_op.add_column(sa.Column("c", sa.Integer()))',
            "    pass"),
        "migrations/versions/c.py": _module('    op.create_foreign_key(None, "t", "u", ["a"], ["id"])', "    pass"),
    })
    _, report = check_json("--select", "RVW711", ".")
    assert {(f["path"], f["fix"] is None) for f in report["findings"]} == {
        ("migrations/versions/a.py", True), ("migrations/versions/b.py", True), ("migrations/versions/c.py", True),
    }


def test_non_migrations_and_test_files_are_not_reviewed_and_the_items_do_not_apply(write, check_json) -> None:
    body = _module('    op.drop_column("t", "c")', "    pass")
    write({"app/models.py": body.replace('revision = "aaaaaaaaaaaa"\n', ""), "tests/migrations/versions/a.py": body})
    _, report = check_json("--select", "RVW71,RVW72", ".")
    assert report["findings"] == []
    verdicts = {item["id"]: item["verdict"] for item in report["checklist"]}
    assert verdicts["reversible-migrations"] == verdicts["migration-safety"] == "not-applicable"
