"""The catalogue version (bumped by triggers on every product write, so the shop can keep what it
reads of the catalogue per version and never show an old price) and the listing indexes (a
catalogue page reads 24 index entries, whatever the size of the catalogue).

Revision ID: 5a1c0de4f1e2
Revises: e3dc0955d366
Create Date: 2026-11-26 04:55:00

"""

import sqlalchemy as sa
from alembic import op

revision = '5a1c0de4f1e2'
down_revision = 'e3dc0955d366'
branch_labels = None
depends_on = None

# Frozen here as they were written on this date (storefront.models.CATALOGUE_VERSION_DDL).
BUMP = "UPDATE catalogue_version SET version = version + 1"
SQLITE_EVENTS = ("INSERT", "UPDATE", "DELETE")


def upgrade():
    catalogue_version = op.create_table(
        'catalogue_version',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('version', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.bulk_insert(catalogue_version, [{"id": 1, "version": 0}])
    if op.get_bind().dialect.name == "sqlite":
        for event in SQLITE_EVENTS:
            op.execute(
                f"CREATE TRIGGER product_{event.lower()}_bumps_catalogue_version AFTER {event} ON product "
                f"BEGIN {BUMP}; END"
            )
    elif op.get_bind().dialect.name == "postgresql":
        op.execute(
            f"CREATE OR REPLACE FUNCTION bump_catalogue_version() RETURNS trigger LANGUAGE plpgsql AS "
            f"$$ BEGIN {BUMP}; RETURN NULL; END $$"
        )
        op.execute(
            "CREATE TRIGGER product_changes_bump_catalogue_version "
            "AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON product "
            "FOR EACH STATEMENT EXECUTE FUNCTION bump_catalogue_version()"
        )
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.create_index('product_listing', ['position', 'id'], unique=False)
        batch_op.create_index('product_category_listing', ['category', 'position', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_index('product_category_listing')
        batch_op.drop_index('product_listing')
    if op.get_bind().dialect.name == "sqlite":
        for event in SQLITE_EVENTS:
            op.execute(f"DROP TRIGGER IF EXISTS product_{event.lower()}_bumps_catalogue_version")
    elif op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER IF EXISTS product_changes_bump_catalogue_version ON product")
        op.execute("DROP FUNCTION IF EXISTS bump_catalogue_version()")
    op.drop_table('catalogue_version')
