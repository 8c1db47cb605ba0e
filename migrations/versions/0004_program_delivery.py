"""program: how each message left (transport), and the notifications audit

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('transport', sa.String(length=20), nullable=True))

    op.create_table('notification_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_notification_audit_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['message_id'], ['outbox_messages.id'], name=op.f('fk_notification_audit_message_id_outbox_messages'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_notification_audit_patient_id_patients'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notification_audit'))
    )
    with op.batch_alter_table('notification_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_notification_audit_message_id'), ['message_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_notification_audit_patient_id'), ['patient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('notification_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_notification_audit_patient_id'))
        batch_op.drop_index(batch_op.f('ix_notification_audit_message_id'))

    op.drop_table('notification_audit')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('transport')
