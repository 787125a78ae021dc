"""Getting files: package indexes, downloads (parallel, hash-checked), sdist builds and git
checkouts.
"""
