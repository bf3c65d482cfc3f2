"""Listens to the facts `cases` announces. The only app that reacts to cases."""
