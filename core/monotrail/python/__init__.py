"""Interpreters: version requests, the choice of a project's Python, discovery on the machine,
managed builds, and the isolated launch folder.
"""
