"""NLU benchmark: this project's Vietnamese pipeline against Rasa's stock pipeline."""
