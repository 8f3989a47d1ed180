"""Cash on delivery and earning: an order's payment method, what Points' webhooks say about its
points, and the earning outbox (one row per collected COD order; at most one ``sending``).

Revision ID: 7c0d3e5a9b21
Revises: 5a1e7b0c2d94
Create Date: 2026-11-26 09:00:00.000000

"""

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = '7c0d3e5a9b21'
down_revision = '5a1e7b0c2d94'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN: the orders table keeps its partial unique index untouched.
    op.add_column('orders', sa.Column('payment_method', sa.String(length=16), nullable=False, server_default='points'))
    op.add_column('orders', sa.Column('points_total_points', sa.Integer(), nullable=True))
    op.add_column('orders', sa.Column('points_payment_status', sa.String(length=32), nullable=True))
    op.create_table(
        'points_earning',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('state', sa.String(length=32), nullable=False),
        sa.Column('attempts', sa.Integer(), nullable=False),
        sa.Column('next_attempt_at', sa.DateTime(), nullable=False),
        sa.Column('claim', sa.String(length=32), nullable=True),
        sa.Column('claimed_at', sa.DateTime(), nullable=True),
        sa.Column('uuid', sa.String(length=36), nullable=True),
        sa.Column('reference_number', sa.String(length=64), nullable=True),
        sa.Column('total_points', sa.Integer(), nullable=True),
        sa.Column('left_points', sa.Integer(), nullable=True),
        sa.Column('extra_uuid', sa.String(length=36), nullable=True),
        sa.Column('message', sa.Text(), nullable=True),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('updated_at', sa.DateTime(), nullable=False),
        sa.ForeignKeyConstraint(['order_id'], ['orders.id']),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('order_id'),
    )
    op.create_index('ix_points_earning_state', 'points_earning', ['state'])
    op.create_index('ix_points_earning_next_attempt_at', 'points_earning', ['next_attempt_at'])
    op.create_index('ix_points_earning_uuid', 'points_earning', ['uuid'])
    op.create_index(
        'one_earning_in_flight',
        'points_earning',
        ['state'],
        unique=True,
        sqlite_where=sa.text("state = 'sending'"),
        postgresql_where=sa.text("state = 'sending'"),
    )


def downgrade():
    op.drop_index('one_earning_in_flight', table_name='points_earning')
    op.drop_index('ix_points_earning_uuid', table_name='points_earning')
    op.drop_index('ix_points_earning_next_attempt_at', table_name='points_earning')
    op.drop_index('ix_points_earning_state', table_name='points_earning')
    op.drop_table('points_earning')
    op.drop_column('orders', 'points_payment_status')
    op.drop_column('orders', 'points_total_points')
    op.drop_column('orders', 'payment_method')
