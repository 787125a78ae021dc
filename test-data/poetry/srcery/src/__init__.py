"""srcery: a package whose folder is called src."""
