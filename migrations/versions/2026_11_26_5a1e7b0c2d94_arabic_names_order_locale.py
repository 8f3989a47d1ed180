"""Arabic and English: each product's name and description in Arabic, and the language an order
was placed in (the product names sent to Points are in it).

Existing products get empty Arabic names (the shop shows the English one instead); the demo
catalogue's Arabic comes with ``flask --app wsgi seed``. Existing orders were placed in English.

Revision ID: 5a1e7b0c2d94
Revises: 5a1c0de4f1e2
Create Date: 2026-11-26 05:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5a1e7b0c2d94'
down_revision = '5a1c0de4f1e2'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD/DROP COLUMN, not batch mode: on SQLite batch mode would copy the product table,
    # and the copy would lose its catalogue-version triggers (revision 5a1c0de4f1e2).
    op.add_column('product', sa.Column('name_ar', sa.String(length=120), nullable=False, server_default=''))
    op.add_column('product', sa.Column('description_ar', sa.Text(), nullable=False, server_default=''))
    op.add_column('orders', sa.Column('locale', sa.String(length=8), nullable=False, server_default='en'))


def downgrade():
    op.drop_column('orders', 'locale')
    op.drop_column('product', 'description_ar')
    op.drop_column('product', 'name_ar')
