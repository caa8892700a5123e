"""Where the knowledge data files live: the defaults that the settings, the modules reading
them and the scripts rebuilding them share."""

from pathlib import Path

DATA_DIR = Path(__file__).resolve().parent / "data"
PROCEDURES_DIR = DATA_DIR / "procedures"
DEPARTMENT_FILE = DATA_DIR / "department.yml"
# Hand-written retrieval pairs; `make` also exports them as NLU data (export_nlu_questions).
TRAIN_PAIRS_FILE = DATA_DIR / "train_pairs.yml"
# Rebuilt by `make` from the NLU data and the catalogue (build_domain_words).
DOMAIN_WORDS_FILE = DATA_DIR / "domain_words.txt"
