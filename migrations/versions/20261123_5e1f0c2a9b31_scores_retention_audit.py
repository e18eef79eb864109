"""respondent scores, retention and the audit log

Stores each submitted respondent's dimension scores (worked out here for the responses already
submitted), marks rounds whose answers the retention rule deleted, and adds the audit log.

Revision ID: 5e1f0c2a9b31
Revises: dbbd7d1ea4ef
Create Date: 2026-11-23 18:00:00.000000

"""
from collections import defaultdict

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '5e1f0c2a9b31'
down_revision = 'dbbd7d1ea4ef'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('respondent_scores',
    sa.Column('response_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.Enum('current', 'desired', name='kind', native_enum=False, length=10), nullable=False),
    sa.Column('dimension_id', sa.String(length=64), nullable=False),
    sa.Column('score', sa.Double(), nullable=False),
    sa.ForeignKeyConstraint(['response_id'], ['responses.id'], name=op.f('fk_respondent_scores_response_id_responses'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('response_id', 'kind', 'dimension_id', name=op.f('pk_respondent_scores'))
    )
    op.create_table('audit_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('occurred_at', sa.DateTime(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('user_email', sa.String(length=254), nullable=True),
    sa.Column('organisation_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('description', sa.String(length=500), nullable=False),
    sa.Column('remote_addr', sa.String(length=45), nullable=True),
    sa.ForeignKeyConstraint(['organisation_id'], ['organisations.id'], name=op.f('fk_audit_events_organisation_id_organisations'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_audit_events_user_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_events'))
    )
    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.create_index('ix_audit_events_organisation_occurred', ['organisation_id', 'occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_occurred_at'), ['occurred_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_events_user_id'), ['user_id'], unique=False)

    with op.batch_alter_table('rounds', schema=None, recreate='never') as batch_op:
        batch_op.add_column(sa.Column('answers_deleted_at', sa.DateTime(), nullable=True))

    _score_submitted_responses()


def _score_submitted_responses():
    """DESIGN.md section 3, rule 2, for every response submitted before this migration: the mean
    of the answered item scores per dimension, when at least half of its items are answered.

    Written out here rather than imported, so that this migration keeps doing what it did when
    the application's code moves on.
    """
    connection = op.get_bind()
    versions = {}
    for version_id, content in connection.execute(sa.text("SELECT id, content FROM questionnaire_versions")):
        if isinstance(content, str):
            import json
            content = json.loads(content)
        dimension_of = {item["id"]: item["dimension"] for item in content["items"]}
        sizes = defaultdict(int)
        for dimension in dimension_of.values():
            sizes[dimension] += 1
        versions[version_id] = (dimension_of, sizes, content.get("scale", {}).get("points", 7))

    responses = connection.execute(sa.text(
        "SELECT r.id, q.questionnaire_version_id FROM responses r JOIN rounds q ON q.id = r.round_id "
        "WHERE r.submitted_at IS NOT NULL"
    )).all()
    version_of = dict(responses)
    sums = defaultdict(lambda: [0, 0])  # (response, kind, dimension) -> [sum of item scores, answered]
    answers = connection.execute(sa.text(
        "SELECT a.response_id, a.kind, a.item_id, a.value FROM answers a JOIN responses r ON r.id = a.response_id "
        "WHERE r.submitted_at IS NOT NULL AND a.value IS NOT NULL"
    ))
    for response_id, kind, item_id, value in answers:
        dimension_of, _, points = versions[version_of[response_id]]
        if item_id in dimension_of:
            total = sums[(response_id, kind, dimension_of[item_id])]
            total[0] += 100 * (value - 1) / (points - 1)
            total[1] += 1
    rows = []
    for (response_id, kind, dimension), (total, answered) in sums.items():
        _, sizes, _ = versions[version_of[response_id]]
        if answered >= (sizes[dimension] + 1) // 2:
            rows.append({"response_id": response_id, "kind": kind, "dimension_id": dimension,
                         "score": total / answered})
    scores = sa.table("respondent_scores", sa.column("response_id"), sa.column("kind"),
                      sa.column("dimension_id"), sa.column("score"))
    for start in range(0, len(rows), 10_000):
        op.bulk_insert(scores, rows[start:start + 10_000])


def downgrade():
    with op.batch_alter_table('rounds', schema=None, recreate='never') as batch_op:
        batch_op.drop_column('answers_deleted_at')

    with op.batch_alter_table('audit_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_events_user_id'))
        batch_op.drop_index(batch_op.f('ix_audit_events_occurred_at'))
        batch_op.drop_index('ix_audit_events_organisation_occurred')

    op.drop_table('audit_events')
    op.drop_table('respondent_scores')
