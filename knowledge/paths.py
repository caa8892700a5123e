"""Where the knowledge data files live: the defaults that the settings, the modules reading
them and the scripts rebuilding them share."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
PROCEDURES_DIR = DATA_DIR / "procedures"
DEPARTMENT_FILE = DATA_DIR / "department.yml"
# Made by `make` (knowledge.build_domain_words, knowledge.export_nlu_questions reads the pairs).
DOMAIN_WORDS_FILE = DATA_DIR / "domain_words.txt"
TRAIN_PAIRS_FILE = DATA_DIR / "train_pairs.yml"
