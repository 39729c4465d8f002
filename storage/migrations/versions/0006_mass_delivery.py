"""mass delivery: broadcasts, bulk outbox rows, mutes, scheduled jobs

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01 16:40:00

A broadcast is one outbox row per chat (storage/models.py Broadcast, OutboxMessage.broadcast_id),
sent by the bulk sender apart from replies; residents may mute some notice topics
(Person.muted); timed tasks that are not case deadlines are rows (ScheduledJob).
"""

from alembic import op
import sqlalchemy as sa


revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('notice', 'emergency', 'all_clear', 'fee_reminder', 'event', 'disclosure', name='broadcastkind', native_enum=False, length=20), nullable=False),
    sa.Column('subject', sa.String(length=96), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('urgent', sa.Boolean(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('progress_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('progress_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('locale', sa.String(length=5), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_broadcasts_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['persons.id'], name=op.f('fk_broadcasts_created_by_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts')),
    sa.UniqueConstraint('subject', name=op.f('uq_broadcasts_subject'))
    )
    op.create_table('scheduled_jobs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=32), nullable=False),
    sa.Column('subject', sa.String(length=96), nullable=False),
    sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('fired_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled', sa.Boolean(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_scheduled_jobs')),
    sa.UniqueConstraint('kind', 'subject', 'due_at', name=op.f('uq_scheduled_jobs_kind'))
    )
    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.create_index('ix_scheduled_jobs_pending', ['fired_at', 'due_at'], unique=False)

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('priority', sa.Integer(), nullable=False, server_default='1'))
        batch_op.create_index('ix_outbox_bulk', ['status', 'priority', 'not_before', 'id'], unique=False)
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_broadcast_id'), ['broadcast_id', 'chat_id'])
        batch_op.create_foreign_key(batch_op.f('fk_outbox_broadcast_id_broadcasts'), 'broadcasts', ['broadcast_id'], ['id'], ondelete='CASCADE')

    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.add_column(sa.Column('muted', sa.JSON(), nullable=False, server_default='[]'))


def downgrade() -> None:
    with op.batch_alter_table('persons', schema=None) as batch_op:
        batch_op.drop_column('muted')

    with op.batch_alter_table('outbox', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_outbox_broadcast_id_broadcasts'), type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('uq_outbox_broadcast_id'), type_='unique')
        batch_op.drop_index('ix_outbox_bulk')
        batch_op.drop_column('priority')
        batch_op.drop_column('broadcast_id')

    with op.batch_alter_table('scheduled_jobs', schema=None) as batch_op:
        batch_op.drop_index('ix_scheduled_jobs_pending')

    op.drop_table('scheduled_jobs')
    op.drop_table('broadcasts')
