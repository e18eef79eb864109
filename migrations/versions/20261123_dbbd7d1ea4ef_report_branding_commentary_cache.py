"""report branding, commentary and cache

Organisation branding for reports (colour, logo), a consultant's commentary per round and
department, and the cache of built PDF reports shared by every app process.

Revision ID: dbbd7d1ea4ef
Revises: 4c1d9e7a2f60
Create Date: 2026-11-23 15:35:38.589301

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'dbbd7d1ea4ef'
down_revision = '4c1d9e7a2f60'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('report_cache',
    sa.Column('key', sa.String(length=64), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('subject', sa.String(length=40), nullable=False),
    sa.Column('pdf', sa.LargeBinary(), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_report_cache_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('key', name=op.f('pk_report_cache'))
    )
    with op.batch_alter_table('report_cache', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_report_cache_round_id'), ['round_id'], unique=False)

    op.create_table('report_commentaries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('round_id', sa.Integer(), nullable=False),
    sa.Column('department_id', sa.Integer(), nullable=True),
    sa.Column('text', sa.Text(), nullable=False),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['department_id'], ['departments.id'], name=op.f('fk_report_commentaries_department_id_departments'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['round_id'], ['rounds.id'], name=op.f('fk_report_commentaries_round_id_rounds'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_report_commentaries')),
    sa.UniqueConstraint('round_id', 'department_id', name=op.f('uq_report_commentaries_round_id_department_id'))
    )
    with op.batch_alter_table('organisations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('brand_colour', sa.String(length=7), nullable=True))
        batch_op.add_column(sa.Column('logo', sa.LargeBinary(), nullable=True))
        batch_op.add_column(sa.Column('logo_type', sa.String(length=20), nullable=True))



def downgrade():
    # Drop the columns in place (SQLite 3.35+ can): recreating the table on SQLite, with foreign
    # keys on, would cascade-delete every department and round of every organisation.
    with op.batch_alter_table('organisations', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('logo_type')
        batch_op.drop_column('logo')
        batch_op.drop_column('brand_colour')

    op.drop_table('report_commentaries')
    with op.batch_alter_table('report_cache', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_report_cache_round_id'))

    op.drop_table('report_cache')
