"""patients: a calendar feed version (so a feed address can be revoked) and the provider's co-pay

Revision ID: 0012
Revises: 0010
Create Date: 2026-12-02 14:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.add_column(sa.Column('calendar_feed_version', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('provider_copay_min_cents', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('provider_copay_max_cents', sa.Integer(), nullable=True))


def downgrade():
    with op.batch_alter_table('patients', schema=None) as batch_op:
        batch_op.drop_column('provider_copay_max_cents')
        batch_op.drop_column('provider_copay_min_cents')
        batch_op.drop_column('calendar_feed_version')
