"""fees: bills, payments, ledger, disclosures, reminders

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-01 18:00:00

Bills per unit and period, payments against them (partial payments allowed, a reference that
makes imports idempotent), the office's monthly ledger, published disclosures and the reminders
queued per household (storage/models.py Bill, Payment, LedgerEntry, FeeDisclosure, FeeReminder).
Money is whole cents (BIGINT), never a float.
"""

from alembic import op
import sqlalchemy as sa


revision = '0009'
down_revision = '0008'
branch_labels = None
depends_on = None

FEE_ITEM = sa.Enum(
    'management', 'parking', 'water', 'electricity', 'shared', 'garbage', 'other',
    name='feeitem', native_enum=False, length=20,
)


def upgrade() -> None:
    op.create_table('fee_bills',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('item', FEE_ITEM, nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('due_on', sa.Date(), nullable=False),
    sa.Column('payment_link', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_fee_bills_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_fee_bills_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_bills')),
    sa.UniqueConstraint('unit_id', 'period', 'item', name=op.f('uq_fee_bills_unit_id'))
    )
    with op.batch_alter_table('fee_bills', schema=None) as batch_op:
        batch_op.create_index('ix_fee_bills_compound_due', ['compound_id', 'due_on'], unique=False)

    op.create_table('fee_payments',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('period', sa.String(length=7), nullable=False),
    sa.Column('item', FEE_ITEM, nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('paid_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('reference', sa.String(length=64), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_fee_payments_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_fee_payments_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_payments')),
    sa.UniqueConstraint('compound_id', 'reference', name=op.f('uq_fee_payments_compound_id'))
    )
    with op.batch_alter_table('fee_payments', schema=None) as batch_op:
        batch_op.create_index('ix_fee_payments_unit', ['unit_id', 'period', 'item'], unique=False)

    op.create_table('fee_ledger',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('kind', sa.Enum('income', 'expense', name='ledgerkind', native_enum=False, length=20), nullable=False),
    sa.Column('category', sa.String(length=64), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('note', sa.String(length=200), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_fee_ledger_compound_id_compounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_ledger')),
    sa.UniqueConstraint('compound_id', 'month', 'kind', 'category', name=op.f('uq_fee_ledger_compound_id'))
    )
    op.create_table('fee_disclosures',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.String(length=7), nullable=False),
    sa.Column('summary', sa.JSON(), nullable=False),
    sa.Column('published_by', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_fee_disclosures_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['published_by'], ['persons.id'], name=op.f('fk_fee_disclosures_published_by_persons')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_disclosures')),
    sa.UniqueConstraint('compound_id', 'month', name=op.f('uq_fee_disclosures_compound_id'))
    )
    op.create_table('fee_reminders',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('compound_id', sa.Integer(), nullable=False),
    sa.Column('unit_id', sa.Integer(), nullable=False),
    sa.Column('broadcast_id', sa.Integer(), nullable=True),
    sa.Column('owed_cents', sa.BigInteger(), nullable=False),
    sa.Column('queued_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('withdrawn_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['compound_id'], ['compounds.id'], name=op.f('fk_fee_reminders_compound_id_compounds'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['unit_id'], ['units.id'], name=op.f('fk_fee_reminders_unit_id_units'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_fee_reminders'))
    )
    with op.batch_alter_table('fee_reminders', schema=None) as batch_op:
        batch_op.create_index('ix_fee_reminders_unit', ['unit_id', 'queued_at'], unique=False)


def downgrade() -> None:
    with op.batch_alter_table('fee_reminders', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_reminders_unit')
    op.drop_table('fee_reminders')
    op.drop_table('fee_disclosures')
    op.drop_table('fee_ledger')
    with op.batch_alter_table('fee_payments', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_payments_unit')
    op.drop_table('fee_payments')
    with op.batch_alter_table('fee_bills', schema=None) as batch_op:
        batch_op.drop_index('ix_fee_bills_compound_due')
    op.drop_table('fee_bills')
