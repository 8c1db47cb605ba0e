"""dispatch: technicians' stop reports (for undo and the board) and the live service start of a stop

Revision ID: 0007
Revises: a4f78231f8f3
Create Date: 2026-12-02 09:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('stop_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('from_status', sa.String(length=20), nullable=False),
    sa.Column('reported_at', sa.DateTime(), nullable=False),
    sa.Column('undone_at', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_stop_reports_booking_id_bookings'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_stop_reports_technician_id_technicians')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_stop_reports'))
    )
    with op.batch_alter_table('stop_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_stop_reports_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_stop_reports_technician_id'), ['technician_id'], unique=False)

    with op.batch_alter_table('plan_stops', schema=None) as batch_op:
        batch_op.add_column(sa.Column('eta_start', sa.DateTime(), nullable=True))


def downgrade():
    with op.batch_alter_table('plan_stops', schema=None) as batch_op:
        batch_op.drop_column('eta_start')

    with op.batch_alter_table('stop_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_stop_reports_technician_id'))
        batch_op.drop_index(batch_op.f('ix_stop_reports_booking_id'))

    op.drop_table('stop_reports')
