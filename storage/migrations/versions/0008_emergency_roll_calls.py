"""emergency roll calls

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-01 16:16:00.907728

Emergency broadcasts' roll-calls: who was asked and what each answered
(storage/models.py RollCall, RollCallAnswer).
"""

from alembic import op
import sqlalchemy as sa


revision = '0008'
down_revision = '0007'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('roll_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('template', sa.String(length=16), nullable=False),
    sa.Column('drill', sa.Boolean(), nullable=False),
    sa.Column('texts', sa.JSON(), nullable=False),
    sa.Column('buildings', sa.JSON(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('manager_chat_id', sa.BigInteger(), nullable=True),
    sa.Column('resend_after', sa.DateTime(timezone=True), nullable=False),
    sa.Column('resend_minutes', sa.Integer(), nullable=False),
    sa.Column('resent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resent_to', sa.Integer(), nullable=False),
    sa.Column('board_edited_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('board_dirty', sa.Boolean(), nullable=False),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_by', sa.Integer(), nullable=True),
    sa.Column('all_clear_text', sa.Text(), nullable=True),
    sa.ForeignKeyConstraint(['closed_by'], ['persons.id'], name=op.f('fk_roll_calls_closed_by_persons')),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_roll_calls_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['persons.id'], name=op.f('fk_roll_calls_created_by_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_calls'))
    )
    with op.batch_alter_table('roll_calls', schema=None) as batch_op:
        batch_op.create_index('ix_roll_calls_compound', ['compound_id', 'closed_at'], unique=False)

    op.create_table('roll_call_answers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('roll_call_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=True),
    sa.Column('unit_label', sa.String(length=32), nullable=False),
    sa.Column('building', sa.String(length=32), nullable=False),
    sa.Column('answer', sa.Enum('safe', 'help', 'away', name='rollcallanswerkind', native_enum=False, length=20), nullable=True),
    sa.Column('answered_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('case_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['case_id'], ['cases.id'], name=op.f('fk_roll_call_answers_case_id_cases'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_roll_call_answers_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['roll_call_id'], ['roll_calls.id'], name=op.f('fk_roll_call_answers_roll_call_id_roll_calls'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_roll_call_answers_unit_id_units'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_roll_call_answers')),
    sa.UniqueConstraint('roll_call_id', 'person_id', name=op.f('uq_roll_call_answers_roll_call_id'))
    )


def downgrade() -> None:
    op.drop_table('roll_call_answers')
    with op.batch_alter_table('roll_calls', schema=None) as batch_op:
        batch_op.drop_index('ix_roll_calls_compound')

    op.drop_table('roll_calls')
