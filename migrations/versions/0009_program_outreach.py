"""program: outreach worklist, contact attempts, symptom check-ins, skin checks, program audit

Revision ID: 0009
Revises: 0003
Create Date: 2026-12-02 09:30:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('symptom_checkins',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('month', sa.Date(), nullable=False),
    sa.Column('submitted_at', sa.DateTime(), nullable=False),
    sa.Column('submitted_by_id', sa.Integer(), nullable=True),
    sa.Column('question_set', sa.String(length=40), nullable=False),
    sa.Column('answers', sa.JSON(), nullable=False),
    sa.Column('red_flags', sa.JSON(), nullable=False),
    sa.Column('severity', sa.String(length=20), nullable=False),
    sa.Column('acknowledged_at', sa.DateTime(), nullable=True),
    sa.Column('acknowledged_by_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=200), nullable=True),
    sa.CheckConstraint("severity IN ('none', 'call_provider', 'emergency')", name=op.f('ck_symptom_checkins_severity_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_symptom_checkins_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['submitted_by_id'], ['users.id'], name=op.f('fk_symptom_checkins_submitted_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['acknowledged_by_id'], ['users.id'], name=op.f('fk_symptom_checkins_acknowledged_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_symptom_checkins')),
    sa.UniqueConstraint('submitted_by_id', 'request_key', name='uq_symptom_checkins_submitter_request_key')
    )
    with op.batch_alter_table('symptom_checkins', schema=None) as batch_op:
        batch_op.create_index('ix_symptom_checkins_patient_month', ['patient_id', 'month'], unique=False)

    op.create_table('outreach_items',
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('red_flag_checkin_id', sa.Integer(), nullable=True),
    sa.Column('red_flag_at', sa.DateTime(), nullable=True),
    sa.Column('overdue_months', sa.Integer(), nullable=False),
    sa.Column('overdue_since', sa.Date(), nullable=True),
    sa.Column('overdue_escalated', sa.Date(), nullable=True),
    sa.Column('due_month', sa.Date(), nullable=True),
    sa.Column('due_escalated', sa.Date(), nullable=True),
    sa.Column('region_id', sa.Integer(), nullable=True),
    sa.Column('last_kind', sa.String(length=20), nullable=True),
    sa.Column('last_contact_at', sa.DateTime(), nullable=True),
    sa.Column('last_outcome', sa.String(length=20), nullable=True),
    sa.Column('next_attempt_on', sa.Date(), nullable=True),
    sa.Column('updated_at', sa.DateTime(), nullable=False),
    sa.CheckConstraint('overdue_months >= 0', name=op.f('ck_outreach_items_overdue_months_not_negative')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_outreach_items_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['red_flag_checkin_id'], ['symptom_checkins.id'], name=op.f('fk_outreach_items_red_flag_checkin_id_symptom_checkins'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['region_id'], ['regions.id'], name=op.f('fk_outreach_items_region_id_regions'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('patient_id', name=op.f('pk_outreach_items'))
    )
    op.create_table('contact_attempts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=True),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('outcome', sa.String(length=20), nullable=False),
    sa.Column('note', sa.Text(), nullable=False),
    sa.Column('next_attempt_on', sa.Date(), nullable=True),
    sa.Column('booking_id', sa.Integer(), nullable=True),
    sa.Column('request_key', sa.String(length=200), nullable=True),
    sa.CheckConstraint("outcome IN ('reached', 'voicemail', 'no_answer', 'declined', 'booked', 'wrong_number')", name=op.f('ck_contact_attempts_outcome_known')),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_contact_attempts_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_contact_attempts_user_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['booking_id'], ['bookings.id'], name=op.f('fk_contact_attempts_booking_id_bookings'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_attempts')),
    sa.UniqueConstraint('user_id', 'request_key', name='uq_contact_attempts_user_request_key')
    )
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contact_attempts_patient_id'), ['patient_id'], unique=False)

    op.create_table('skin_checks',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('done_on', sa.Date(), nullable=False),
    sa.Column('provider_name', sa.String(length=200), nullable=False),
    sa.Column('recorded_by_id', sa.Integer(), nullable=True),
    sa.Column('recorded_at', sa.DateTime(), nullable=False),
    sa.Column('request_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_skin_checks_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['recorded_by_id'], ['users.id'], name=op.f('fk_skin_checks_recorded_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_skin_checks')),
    sa.UniqueConstraint('recorded_by_id', 'request_key', name='uq_skin_checks_recorder_request_key')
    )
    with op.batch_alter_table('skin_checks', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_skin_checks_patient_id'), ['patient_id'], unique=False)

    op.create_table('program_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('patient_id', sa.Integer(), nullable=False),
    sa.Column('at', sa.DateTime(), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('detail', sa.JSON(), nullable=True),
    sa.ForeignKeyConstraint(['patient_id'], ['patients.id'], name=op.f('fk_program_events_patient_id_patients'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_program_events_actor_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_program_events'))
    )
    with op.batch_alter_table('program_events', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_program_events_patient_id'), ['patient_id'], unique=False)


def downgrade():
    with op.batch_alter_table('program_events', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_program_events_patient_id'))
    op.drop_table('program_events')
    with op.batch_alter_table('skin_checks', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_skin_checks_patient_id'))
    op.drop_table('skin_checks')
    with op.batch_alter_table('contact_attempts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_contact_attempts_patient_id'))
    op.drop_table('contact_attempts')
    op.drop_table('outreach_items')
    with op.batch_alter_table('symptom_checkins', schema=None) as batch_op:
        batch_op.drop_index('ix_symptom_checkins_patient_month')
    op.drop_table('symptom_checkins')
