"""dispatch: technicians, shifts, labs, plans, audit, jobs

Revision ID: a4f78231f8f3
Revises: 5e694d734868
Create Date: 2026-11-24 16:13:38.223747

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = 'a4f78231f8f3'
down_revision = '5e694d734868'
branch_labels = None
depends_on = None


def upgrade():
    
    op.create_table('dispatch_plans',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('revision', sa.Integer(), nullable=False),
    sa.Column('current_number', sa.Integer(), nullable=True),
    sa.Column('published_number', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dispatch_plans_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_plans')),
    sa.UniqueConstraint('region_id', 'day', name='uq_dispatch_plans_region_day')
    )
    op.create_table('labs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('address', sa.String(length=300), nullable=False),
    sa.Column('latitude', sa.Float(), nullable=False),
    sa.Column('longitude', sa.Float(), nullable=False),
    sa.Column('cutoff', sa.Time(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_labs_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_labs'))
    )
    with op.batch_alter_table('labs', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_labs_region_id'), ['region_id'], unique=False)

    op.create_table('dispatch_jobs',
    sa.Column('id', sa.String(length=36), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=True),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('backend', sa.String(length=20), nullable=False),
    sa.Column('time_limit', sa.Float(), nullable=False),
    sa.Column('base_revision', sa.Integer(), nullable=True),
    sa.Column('error', sa.Text(), nullable=True),
    sa.Column('result_version', sa.Integer(), nullable=True),
    sa.Column('summary', sa.JSON(), nullable=True),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('started_at', sa.DateTime(), nullable=True),
    sa.Column('finished_at', sa.DateTime(), nullable=True),
    sa.CheckConstraint("status IN ('queued', 'running', 'succeeded', 'failed')", name=op.f('ck_dispatch_jobs_status_known')),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_dispatch_jobs_created_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['dispatch_plans.id'], name=op.f('fk_dispatch_jobs_plan_id_dispatch_plans'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_dispatch_jobs_region_id_regions')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_dispatch_jobs'))
    )
    op.create_table('plan_audit',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('from_version', sa.Integer(), nullable=True),
    sa.Column('to_version', sa.Integer(), nullable=True),
    sa.Column('detail', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_plan_audit_actor_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['dispatch_plans.id'], name=op.f('fk_plan_audit_plan_id_dispatch_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_audit'))
    )
    with op.batch_alter_table('plan_audit', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_audit_plan_id'), ['plan_id'], unique=False)

    op.create_table('plan_versions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('plan_id', sa.Integer(), nullable=False),
    sa.Column('number', sa.Integer(), nullable=False),
    sa.Column('source', sa.String(length=20), nullable=False),
    sa.Column('created_at', sa.DateTime(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('published_at', sa.DateTime(), nullable=True),
    sa.Column('stats', sa.JSON(), nullable=False),
    sa.Column('unavailable_technician_ids', sa.JSON(), nullable=False),
    sa.ForeignKeyConstraint(['created_by_id'], ['users.id'], name=op.f('fk_plan_versions_created_by_id_users')),
    sa.ForeignKeyConstraint(['plan_id'], ['dispatch_plans.id'], name=op.f('fk_plan_versions_plan_id_dispatch_plans'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_versions')),
    sa.UniqueConstraint('plan_id', 'number', name='uq_plan_versions_plan_number')
    )
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_versions_plan_id'), ['plan_id'], unique=False)

    op.create_table('technicians',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('region_id', sa.Integer(), nullable=False),
    sa.Column('phone', sa.String(length=40), nullable=True),
    sa.Column('home_address', sa.String(length=300), nullable=False),
    sa.Column('home_latitude', sa.Float(), nullable=False),
    sa.Column('home_longitude', sa.Float(), nullable=False),
    sa.Column('skills', sa.JSON(), nullable=False),
    sa.Column('max_visits', sa.Integer(), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.CheckConstraint('max_visits >= 0', name=op.f('ck_technicians_max_visits_not_negative')),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_technicians_region_id_regions')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_technicians_user_id_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technicians')),
    sa.UniqueConstraint('user_id', name=op.f('uq_technicians_user_id'))
    )
    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technicians_region_id'), ['region_id'], unique=False)

    op.create_table('plan_routes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('starts_at', sa.DateTime(), nullable=False),
    sa.Column('ends_at', sa.DateTime(), nullable=False),
    sa.Column('drive_seconds', sa.Integer(), nullable=False),
    sa.Column('distance_m', sa.Integer(), nullable=False),
    sa.Column('lab_id', sa.Integer(), nullable=True),
    sa.Column('lab_arrival', sa.DateTime(), nullable=True),
    sa.Column('lab_eta', sa.DateTime(), nullable=True),
    sa.ForeignKeyConstraint(['lab_id'], ['labs.id'], name=op.f('fk_plan_routes_lab_id_labs')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_plan_routes_technician_id_technicians')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_routes_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_routes')),
    sa.UniqueConstraint('version_id', 'technician_id', name='uq_plan_routes_version_technician')
    )
    with op.batch_alter_table('plan_routes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_routes_version_id'), ['version_id'], unique=False)

    op.create_table('plan_stops',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('position', sa.Integer(), nullable=False),
    sa.Column('arrival', sa.DateTime(), nullable=False),
    sa.Column('service_start', sa.DateTime(), nullable=False),
    sa.Column('departure', sa.DateTime(), nullable=False),
    sa.Column('drive_seconds', sa.Integer(), nullable=False),
    sa.Column('distance_m', sa.Integer(), nullable=False),
    sa.Column('window_start', sa.DateTime(), nullable=False),
    sa.Column('window_end', sa.DateTime(), nullable=False),
    sa.Column('eta', sa.DateTime(), nullable=True),
    sa.Column('pinned', sa.Boolean(), nullable=False),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_plan_stops_booking_id_bookings')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_plan_stops_technician_id_technicians')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_stops_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_stops')),
    sa.UniqueConstraint('version_id', 'booking_id', name='uq_plan_stops_version_booking')
    )
    with op.batch_alter_table('plan_stops', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_stops_booking_id'), ['booking_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_stops_technician_id'), ['technician_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_plan_stops_version_id'), ['version_id'], unique=False)

    op.create_table('plan_unassigned',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('version_id', sa.Integer(), nullable=False),
    sa.Column('booking_id', sa.Integer(), nullable=False),
    sa.Column('reason', sa.String(length=40), nullable=False),
    sa.Column('message', sa.Text(), nullable=False),
    sa.Column('pinned_technician_id', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_plan_unassigned_booking_id_bookings')),
    sa.ForeignKeyConstraint(['pinned_technician_id'], ['technicians.id'], name=op.f('fk_plan_unassigned_pinned_technician_id_technicians')),
    sa.ForeignKeyConstraint(['version_id'], ['plan_versions.id'], name=op.f('fk_plan_unassigned_version_id_plan_versions'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_plan_unassigned'))
    )
    with op.batch_alter_table('plan_unassigned', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_plan_unassigned_version_id'), ['version_id'], unique=False)

    op.create_table('shift_exceptions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('reason', sa.String(length=200), nullable=False),
    sa.CheckConstraint("kind IN ('day_off', 'sick', 'unavailable')", name=op.f('ck_shift_exceptions_kind_known')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_shift_exceptions_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_shift_exceptions')),
    sa.UniqueConstraint('technician_id', 'day', name='uq_shift_exceptions_technician_day')
    )
    with op.batch_alter_table('shift_exceptions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_shift_exceptions_technician_id'), ['technician_id'], unique=False)

    op.create_table('technician_shifts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('technician_id', sa.Integer(), nullable=False),
    sa.Column('weekday', sa.Integer(), nullable=False),
    sa.Column('starts', sa.Time(), nullable=False),
    sa.Column('ends', sa.Time(), nullable=False),
    sa.CheckConstraint('weekday BETWEEN 0 AND 6', name=op.f('ck_technician_shifts_weekday_range')),
    sa.ForeignKeyConstraint(['technician_id'], ['technicians.id'], name=op.f('fk_technician_shifts_technician_id_technicians'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_technician_shifts')),
    sa.UniqueConstraint('technician_id', 'weekday', name='uq_technician_shifts_technician_weekday')
    )
    with op.batch_alter_table('technician_shifts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_technician_shifts_technician_id'), ['technician_id'], unique=False)

    


def downgrade():
    
    with op.batch_alter_table('technician_shifts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technician_shifts_technician_id'))

    op.drop_table('technician_shifts')
    with op.batch_alter_table('shift_exceptions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_shift_exceptions_technician_id'))

    op.drop_table('shift_exceptions')
    with op.batch_alter_table('plan_unassigned', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_unassigned_version_id'))

    op.drop_table('plan_unassigned')
    with op.batch_alter_table('plan_stops', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_stops_version_id'))
        batch_op.drop_index(batch_op.f('ix_plan_stops_technician_id'))
        batch_op.drop_index(batch_op.f('ix_plan_stops_booking_id'))

    op.drop_table('plan_stops')
    with op.batch_alter_table('plan_routes', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_routes_version_id'))

    op.drop_table('plan_routes')
    with op.batch_alter_table('technicians', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_technicians_region_id'))

    op.drop_table('technicians')
    with op.batch_alter_table('plan_versions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_versions_plan_id'))

    op.drop_table('plan_versions')
    with op.batch_alter_table('plan_audit', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_plan_audit_plan_id'))

    op.drop_table('plan_audit')
    op.drop_table('dispatch_jobs')
    with op.batch_alter_table('labs', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_labs_region_id'))

    op.drop_table('labs')
    op.drop_table('dispatch_plans')
    
