"""Rasa SDK custom actions; each module is one capability."""
