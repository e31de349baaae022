"""The ``wikipost`` command line."""
