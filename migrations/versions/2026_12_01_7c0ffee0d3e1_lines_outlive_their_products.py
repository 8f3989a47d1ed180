"""Lines outlive their products: a cart line or an order line whose product is deleted keeps its
row (``product_id`` set to NULL) and the product's names, so the cart can say what is gone and an
order still says what was bought. SQLite now enforces foreign keys (database.tune_engine).

Existing cart lines get their product's names copied in; a line already pointing at a deleted
product (SQLite did not check) is marked gone.

Revision ID: 7c0ffee0d3e1
Revises: 7c0d3e5a9b21
Create Date: 2026-12-01 20:40:00.000000

"""

import sqlalchemy as sa
from alembic import op

revision = '7c0ffee0d3e1'
down_revision = '7c0d3e5a9b21'
branch_labels = None
depends_on = None

# The baseline's foreign keys have no names: SQLite's batch mode finds them by this convention,
# PostgreSQL has them under its own default names.
SQLITE_NAMES = {"fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s"}


def _fk_name(table: str) -> str:
    if op.get_bind().dialect.name == "sqlite":
        return f"fk_{table}_product_id_product"
    return f"{table}_product_id_fkey"


def _product_fk(table: str, ondelete):
    # Batch mode only on the line tables: copying product on SQLite would lose its triggers.
    with op.batch_alter_table(table, naming_convention=SQLITE_NAMES) as batch_op:
        batch_op.drop_constraint(_fk_name(table), type_="foreignkey")
        if table == "cart_line":
            batch_op.alter_column('product_id', existing_type=sa.Integer(), nullable=ondelete is not None)
        batch_op.create_foreign_key(_fk_name(table), 'product', ['product_id'], ['id'], ondelete=ondelete)


def upgrade():
    op.add_column('cart_line', sa.Column('product_name', sa.String(length=120), nullable=False, server_default=''))
    op.add_column('cart_line', sa.Column('product_name_ar', sa.String(length=120), nullable=False, server_default=''))
    op.execute(
        "UPDATE cart_line SET product_name = (SELECT name FROM product WHERE product.id = cart_line.product_id), "
        "product_name_ar = (SELECT name_ar FROM product WHERE product.id = cart_line.product_id) "
        "WHERE product_id IN (SELECT id FROM product)"
    )
    _product_fk('cart_line', 'SET NULL')
    _product_fk('order_line', 'SET NULL')
    # Lines left pointing at nothing while SQLite did not enforce the key: their product is gone.
    for table in ('cart_line', 'order_line'):
        op.execute(f"UPDATE {table} SET product_id = NULL WHERE product_id NOT IN (SELECT id FROM product)")


def downgrade():
    op.execute("DELETE FROM cart_line WHERE product_id IS NULL")
    _product_fk('order_line', None)
    _product_fk('cart_line', None)
    op.drop_column('cart_line', 'product_name_ar')
    op.drop_column('cart_line', 'product_name')
