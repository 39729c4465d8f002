"""case numbers unique per compound

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01 14:30:00.000000

Case numbers restart every day in every compound, so two compounds both file an
R-20261127-001; a number was unique across all compounds, and the second compound's first
case of each day failed. A number is now unique within its compound only.

SQLite alters by copying the table (batch mode). The migration environment connects without
`PRAGMA foreign_keys=ON`, so dropping the old table does not cascade into case_events,
case_followers or deadlines.
"""

from alembic import op


revision = '0003'
down_revision = '0002'
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint('uq_cases_number', type_='unique')
        batch_op.create_unique_constraint(
            batch_op.f('uq_cases_compound_id'), ['compound_id', 'number']
        )


def downgrade() -> None:
    # Fails, as it should, when two compounds already share a number.
    with op.batch_alter_table('cases', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_cases_compound_id'), type_='unique')
        batch_op.create_unique_constraint('uq_cases_number', ['number'])
