"""The load benchmark: seed 10,000 patients on PostgreSQL, serve with gunicorn, drive a mixed workload."""
