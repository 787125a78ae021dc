"""What a command runs for: a project folder, a PEP 723 script, a ppipx app, a from-git checkout, a
notebook.
"""
