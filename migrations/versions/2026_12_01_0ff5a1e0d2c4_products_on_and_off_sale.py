"""Products on and off sale: a product taken off sale keeps its row and its page (old links still
explain themselves) but is not listed, cannot be added, and a cart line to it is shown as no
longer available. Existing products stay on sale.

Revision ID: 0ff5a1e0d2c4
Revises: 068aac802c16
Create Date: 2026-12-01 21:30:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = '0ff5a1e0d2c4'
down_revision = '068aac802c16'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN, not batch mode: on SQLite batch mode would copy the product table,
    # and the copy would lose its catalogue-version triggers (revision 5a1c0de4f1e2).
    op.add_column('product', sa.Column('on_sale', sa.Boolean(), nullable=False, server_default=sa.true()))


def downgrade():
    op.drop_column('product', 'on_sale')
