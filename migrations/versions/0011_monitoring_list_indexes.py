"""monitoring lists: indexes for the due and overdue lists decided by the database

Revision ID: 0011
Revises: 0012
Create Date: 2026-12-02 14:10:00.000000

"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    op.create_index('ix_bookings_month_status_patient', 'bookings', ['monitoring_month', 'status', 'patient_id'])
    op.create_index('ix_patients_last_name_id', 'patients', ['last_name', 'id'])


def downgrade():
    op.drop_index('ix_patients_last_name_id', table_name='patients')
    op.drop_index('ix_bookings_month_status_patient', table_name='bookings')
