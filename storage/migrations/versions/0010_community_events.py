"""community events

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 16:14:03.661487

Community events and their sign-ups (storage/models.py Event, EventSignup): capacity counted
in people, one sign-up per household, a waitlist in arrival order, check-in codes.
"""

from alembic import op
import sqlalchemy as sa


revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table('events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=100), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('place', sa.String(length=200), nullable=False),
    sa.Column('starts_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('ends_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('signup_deadline', sa.DateTime(timezone=True), nullable=False),
    sa.Column('capacity', sa.Integer(), nullable=False),
    sa.Column('per_household', sa.Integer(), nullable=False),
    sa.Column('buildings', sa.JSON(), nullable=False),
    sa.Column('photo', sa.String(length=200), nullable=True),
    sa.Column('status', sa.Enum('published', 'cancelled', name='eventstatus', native_enum=False, length=20), nullable=False),
    sa.Column('last_seq', sa.Integer(), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_events_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['created_by'], ['persons.id'], name=op.f('fk_events_created_by_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_events'))
    )
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.create_index('ix_events_compound_starts', ['compound_id', 'starts_at'], unique=False)

    op.create_table('event_signups',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('event_id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('people', sa.Integer(), nullable=False),
    sa.Column('status', sa.Enum('confirmed', 'waitlisted', 'cancelled', name='signupstatus', native_enum=False, length=20), nullable=False),
    sa.Column('seq', sa.Integer(), nullable=False),
    sa.Column('code', sa.String(length=8), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('promoted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('checked_in_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['checked_in_by'], ['persons.id'], name=op.f('fk_event_signups_checked_in_by_persons')),
    sa.ForeignKeyConstraint(['event_id'], ['events.id'], name=op.f('fk_event_signups_event_id_events'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['person_id'], ['persons.id'], name=op.f('fk_event_signups_person_id_persons'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_event_signups_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_event_signups')),
    sa.UniqueConstraint('event_id', 'code', name='uq_event_signups_code'),
    sa.UniqueConstraint('event_id', 'unit_id', name='uq_event_signups_household')
    )
    with op.batch_alter_table('event_signups', schema=None) as batch_op:
        batch_op.create_index('ix_event_signups_event_status', ['event_id', 'status', 'seq'], unique=False)
        batch_op.create_index('ix_event_signups_person', ['person_id'], unique=False)



def downgrade() -> None:
    with op.batch_alter_table('event_signups', schema=None) as batch_op:
        batch_op.drop_index('ix_event_signups_person')
        batch_op.drop_index('ix_event_signups_event_status')

    op.drop_table('event_signups')
    with op.batch_alter_table('events', schema=None) as batch_op:
        batch_op.drop_index('ix_events_compound_starts')

    op.drop_table('events')
