"""Arabic and English: each product's name and description in Arabic, and the language an order
was placed in (the product names sent to Points are in it).

Existing products get empty Arabic names (the shop shows the English one instead); the demo
catalogue's Arabic comes with ``flask --app wsgi seed``. Existing orders were placed in English.

Revision ID: 5a1e7b0c2d94
Revises: e3dc0955d366
Create Date: 2026-11-26 05:00:00.000000

"""
import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '5a1e7b0c2d94'
down_revision = 'e3dc0955d366'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.add_column(sa.Column('name_ar', sa.String(length=120), nullable=False, server_default=''))
        batch_op.add_column(sa.Column('description_ar', sa.Text(), nullable=False, server_default=''))
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.add_column(sa.Column('locale', sa.String(length=8), nullable=False, server_default='en'))


def downgrade():
    with op.batch_alter_table('orders', schema=None) as batch_op:
        batch_op.drop_column('locale')
    with op.batch_alter_table('product', schema=None) as batch_op:
        batch_op.drop_column('description_ar')
        batch_op.drop_column('name_ar')
