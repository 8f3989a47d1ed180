"""Staff submissions (one form, one call to Points), rate limits (login, Pay), staff session
tokens (logout ends every session), and what caused each status change (the timeline).

Revision ID: e3dc0955d366
Revises: 3656917_baseline
Create Date: 2026-11-26 04:06:35.660406

"""

import secrets

import sqlalchemy as sa
from alembic import op

# revision identifiers, used by Alembic.
revision = 'e3dc0955d366'
down_revision = '3656917_baseline'
branch_labels = None
depends_on = None

CAUSES = (  # (column, table it points at, constraint name)
    ("webhook_receipt_id", "webhook_receipt", "fk_order_transition_webhook_receipt_id"),
    ("api_call_id", "points_api_call", "fk_order_transition_api_call_id"),
    ("staff_user_id", "admin_user", "fk_order_transition_staff_user_id"),
)


def upgrade():
    op.create_table(
        'rate_limit',
        sa.Column('key', sa.String(length=255), nullable=False),
        sa.Column('window_started_at', sa.DateTime(), nullable=False),
        sa.Column('hits', sa.Integer(), nullable=False),
        sa.Column('last_hit_at', sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint('key'),
    )
    with op.batch_alter_table('rate_limit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_rate_limit_last_hit_at'), ['last_hit_at'], unique=False)

    op.create_table(
        'staff_submission',
        sa.Column('id', sa.Integer(), nullable=False),
        sa.Column('key', sa.String(length=36), nullable=False),
        sa.Column('order_id', sa.Integer(), nullable=False),
        sa.Column('action', sa.String(length=32), nullable=False),
        sa.Column('created_at', sa.DateTime(), nullable=False),
        sa.Column('outcome', sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ['order_id'],
            ['orders.id'],
        ),
        sa.PrimaryKeyConstraint('id'),
        sa.UniqueConstraint('key'),
    )
    with op.batch_alter_table('staff_submission', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_submission_order_id'), ['order_id'], unique=False)

    # Existing staff get a token each (their open sessions end once, as after a logout).
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_token', sa.String(length=64), nullable=True))
    admin_user = sa.table('admin_user', sa.column('id', sa.Integer), sa.column('session_token', sa.String))
    bind = op.get_bind()
    for (user_id,) in bind.execute(sa.select(admin_user.c.id)).all():
        bind.execute(
            admin_user.update().where(admin_user.c.id == user_id).values(session_token=secrets.token_urlsafe(24))
        )
    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.alter_column('session_token', existing_type=sa.String(length=64), nullable=False)

    # Transitions made before this revision have no recorded cause: the timeline shows them by time.
    with op.batch_alter_table('order_transition', schema=None) as batch_op:
        for column, _table, _name in CAUSES:
            batch_op.add_column(sa.Column(column, sa.Integer(), nullable=True))
        for column, table, name in CAUSES:
            batch_op.create_foreign_key(name, table, [column], ['id'])


def downgrade():
    with op.batch_alter_table('order_transition', schema=None) as batch_op:
        for column, _table, name in CAUSES:
            batch_op.drop_constraint(name, type_='foreignkey')
            batch_op.drop_column(column)

    with op.batch_alter_table('admin_user', schema=None) as batch_op:
        batch_op.drop_column('session_token')

    with op.batch_alter_table('staff_submission', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_submission_order_id'))
    op.drop_table('staff_submission')

    with op.batch_alter_table('rate_limit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_rate_limit_last_hit_at'))
    op.drop_table('rate_limit')
