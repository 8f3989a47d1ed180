"""The schema before migrations: what create_all made from storefront/models.py at 3656917.

A database made then (tables, no alembic_version) is stamped with this revision at start and
upgraded from here. Reviewed by hand: Numeric(10, 2) money, the partial unique index
one_pending_order_per_cart on both dialects, unnamed unique constraints as create_all left them.

Revision ID: 3656917_baseline
Revises:
Create Date: 2026-11-26 03:31:14.810009

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '3656917_baseline'
down_revision = None
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        'admin_user',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('password_hash', sa.String(length=255), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('last_login_at', sa.DateTime(), nullable=True),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('email'),
    )
    op.create_table(
        'cart',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('token'),
    )
    op.create_table(
        'login_attempt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('email', sa.String(length=255), nullable=False),
        sa.Column('remote_addr', sa.String(length=64), nullable=True),
        sa.Column('succeeded', sa.Boolean(), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_login_attempt_created_at'), 'login_attempt', ['created_at'], unique=False)
    op.create_index(op.f('ix_login_attempt_email'), 'login_attempt', ['email'], unique=False)
    op.create_index(op.f('ix_login_attempt_remote_addr'), 'login_attempt', ['remote_addr'], unique=False)

    op.create_table(
        'product',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('slug', sa.String(length=80), nullable=False),
        sa.Column('name', sa.String(length=120), nullable=False),
        sa.Column('category', sa.String(length=60), nullable=False),
        sa.Column('description', sa.Text(), nullable=False),
        sa.Column('price', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('image', sa.String(length=120), nullable=False),
        sa.Column('position', sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('slug'),
    )
    op.create_index(op.f('ix_product_category'), 'product', ['category'], unique=False)

    op.create_table(
        'cart_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('cart_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['cart_id'],
            ['cart.id'],
        ),
        sa.ForeignKeyConstraint(
            ['product_id'],
            ['product.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('cart_id', 'product_id'),
    )
    op.create_index(op.f('ix_cart_line_cart_id'), 'cart_line', ['cart_id'], unique=False)

    op.create_table(
        'orders',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_number', sa.String(length=32), nullable=False),
        sa.Column('token', sa.String(length=64), nullable=False),
        sa.Column('status', sa.String(length=32), nullable=False),
        sa.Column('status_reason', sa.Text(), nullable=True),
        sa.Column('cart_id', sa.Integer(), nullable=True),
        sa.Column('cart_fingerprint', sa.String(length=64), nullable=False),
        sa.Column('customer_name', sa.String(length=255), nullable=False),
        sa.Column('phone', sa.String(length=16), nullable=False),
        sa.Column('city', sa.String(length=100), nullable=False),
        sa.Column('address_line', sa.String(length=255), nullable=False),
        sa.Column('subtotal', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('shipping_amount', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('total', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('refunded_amount', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('checkout_url', sa.Text(), nullable=True),
        sa.Column('checkout_started_at', sa.DateTime(), nullable=True),
        sa.Column('last_error', sa.Text(), nullable=True),
        sa.Column('points_uuid', sa.String(length=36), nullable=True),
        sa.Column('points_uuid_hint', sa.String(length=64), nullable=True),
        sa.Column('points_reference_number', sa.String(length=64), nullable=True),
        sa.Column('points_order_status', sa.String(length=32), nullable=True),
        sa.Column('shipping_status', sa.String(length=32), nullable=True),
        sa.Column('shipping_label_ar', sa.String(length=120), nullable=True),
        sa.Column('shipping_label_en', sa.String(length=120), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.Column('paid_at', sa.DateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ['cart_id'],
            ['cart.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('order_number'),
        sa.UniqueConstraint('token'),
    )
    op.create_index(op.f('ix_orders_cart_id'), 'orders', ['cart_id'], unique=False)
    op.create_index(op.f('ix_orders_created_at'), 'orders', ['created_at'], unique=False)
    op.create_index(op.f('ix_orders_points_reference_number'), 'orders', ['points_reference_number'], unique=False)
    op.create_index(op.f('ix_orders_points_uuid'), 'orders', ['points_uuid'], unique=False)
    op.create_index(op.f('ix_orders_status'), 'orders', ['status'], unique=False)
    op.create_index(
        'one_pending_order_per_cart',
        'orders',
        ['cart_id'],
        unique=True,
        sqlite_where=sa.text("status = 'pending_payment'"),
        postgresql_where=sa.text("status = 'pending_payment'"),
    )

    op.create_table(
        'order_line',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('product_id', sa.Integer(), nullable=True),
        sa.Column('product_name', sa.String(length=120), nullable=False),
        sa.Column('unit_price', sa.Numeric(precision=10, scale=2), nullable=False),
        sa.Column('quantity', sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ['order_id'],
            ['orders.id'],
        ),
        sa.ForeignKeyConstraint(
            ['product_id'],
            ['product.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_order_line_order_id'), 'order_line', ['order_id'], unique=False)

    op.create_table(
        'order_transition',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('from_status', sa.String(length=32), nullable=True),
        sa.Column('to_status', sa.String(length=32), nullable=False),
        sa.Column('source', sa.String(length=32), nullable=False),
        sa.Column('reason', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ['order_id'],
            ['orders.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_order_transition_order_id'), 'order_transition', ['order_id'], unique=False)

    op.create_table(
        'points_api_call',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('method', sa.String(length=8), nullable=False),
        sa.Column('path', sa.String(length=255), nullable=False),
        sa.Column('request_body', sa.Text(), nullable=True),
        sa.Column('response_status', sa.Integer(), nullable=True),
        sa.Column('response_body', sa.Text(), nullable=True),
        sa.Column('error', sa.Text(), nullable=True),
        sa.Column('duration_ms', sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ['order_id'],
            ['orders.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
    )
    op.create_index(op.f('ix_points_api_call_order_id'), 'points_api_call', ['order_id'], unique=False)

    op.create_table(
        'webhook_receipt',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('received_at', sa.DateTime(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=True),
        sa.Column('event', sa.String(length=64), nullable=True),
        sa.Column('order_number', sa.String(length=64), nullable=True),
        sa.Column('points_uuid', sa.String(length=64), nullable=True),
        sa.Column('headers', sa.Text(), nullable=False),
        sa.Column('body', sa.Text(), nullable=False),
        sa.Column('response_status', sa.Integer(), nullable=False),
        sa.Column('outcome', sa.String(length=32), nullable=False),
        sa.Column('detail', sa.Text(), nullable=True),
        sa.Column('dedupe_key', sa.String(length=255), nullable=True),
        sa.ForeignKeyConstraint(
            ['order_id'],
            ['orders.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('dedupe_key'),
    )
    op.create_index(op.f('ix_webhook_receipt_order_id'), 'webhook_receipt', ['order_id'], unique=False)
    op.create_index(op.f('ix_webhook_receipt_outcome'), 'webhook_receipt', ['outcome'], unique=False)
    op.create_index(op.f('ix_webhook_receipt_received_at'), 'webhook_receipt', ['received_at'], unique=False)


def downgrade():
    op.drop_table('webhook_receipt')
    op.drop_table('points_api_call')
    op.drop_table('order_transition')
    op.drop_table('order_line')
    op.drop_table('orders')
    op.drop_table('cart_line')
    op.drop_table('product')
    op.drop_table('login_attempt')
    op.drop_table('cart')
    op.drop_table('admin_user')
