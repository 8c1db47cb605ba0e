"""accounts: a per-user token version, so tokens and page sessions can be revoked at once

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-02 14:00:00.000000

"""

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade():
    # Existing tokens carry no version and stop working: everyone signs in once more.
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("token_version", sa.Integer(), server_default="0", nullable=False))


def downgrade():
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("token_version")
