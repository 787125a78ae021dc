"""Lock files and the Lock model: uv.lock, poetry.lock, pylock.toml, PEP 723 script blocks, the
notebook lock.
"""
