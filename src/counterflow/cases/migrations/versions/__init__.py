"""The case store's schema revisions, oldest first."""
