# Metadata lives in pyproject.toml; this shim keeps `python setup.py ...` and old tooling working.
from setuptools import setup

setup()
