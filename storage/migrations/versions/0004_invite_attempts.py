"""invite attempts

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01 14:40:00.000000

Wrong invite codes per person, so that guessing codes is stopped after a few tries and stays
stopped across restarts and processes (storage/repos/invites.py).
"""

from alembic import op
import sqlalchemy as sa


revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('invite_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('wrong', sa.Integer(), nullable=False),
    sa.Column('window_started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_invite_attempts_person_id_persons'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_invite_attempts')),
    sa.UniqueConstraint('person_id', name=op.f('uq_invite_attempts_person_id'))
    )


def downgrade() -> None:
    op.drop_table('invite_attempts')
