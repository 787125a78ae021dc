"""Environments: the env record, the one prepare path, launching the target, the finder and its
bootstrap.
"""
