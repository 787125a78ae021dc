"""Lock files and the Lock model: poetry.lock, pylock.toml, PEP 723 script blocks, the notebook
lock.
"""
