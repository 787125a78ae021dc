"""The store: entries (one unpacked wheel each), filling it for a Lock, unpacking, bytecode, file
locks, and its inventory, gc and verify.
"""
