"""Imported by the worker processes' fork server: loads the SISR kernels
once there, so each worker starts with them instead of loading them inside
its time limit."""

from dispatch.engine import sisr

sisr.ready()
