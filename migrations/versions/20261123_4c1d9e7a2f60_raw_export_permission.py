"""raw export permission

Revision ID: 4c1d9e7a2f60
Revises: b35fa922685b
Create Date: 2026-11-23 15:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '4c1d9e7a2f60'
down_revision = 'b35fa922685b'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('can_export_raw', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    # Drop the column in place (SQLite 3.35+ can): recreating the table on SQLite, with foreign
    # keys on, would cascade-delete every user's organisation assignments.
    with op.batch_alter_table('users', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('can_export_raw')
