"""Where the knowledge data files live: the defaults that the settings, the modules reading
them and the scripts rebuilding them share."""

from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DATA_DIR = ROOT / "knowledge" / "data"
PROCEDURES_DIR = DATA_DIR / "procedures"
DEPARTMENT_FILE = DATA_DIR / "department.yml"
# The department's own values for local facts (fee, desk, hours, online link, authorities).
LOCAL_OVERRIDES_FILE = DATA_DIR / "local_overrides.yml"
# Legal texts replaced as a whole: a record citing one fails validation.
REPLACED_LEGAL_TEXTS_FILE = DATA_DIR / "replaced_legal_texts.yml"
# Hand-written retrieval pairs; `make` also exports them as NLU data (export_nlu_questions).
TRAIN_PAIRS_FILE = DATA_DIR / "train_pairs.yml"
# Rebuilt by `make` from the NLU data and the catalogue (build_domain_words).
DOMAIN_WORDS_FILE = DATA_DIR / "domain_words.txt"
# Built by `make embeddings`: multilingual-e5-small fine-tuned on the training pairs, then
# exported to int8 ONNX (export_onnx), which the assistant runs.
EMBEDDING_MODEL_DIR = ROOT / "models" / "e5-small-edu-int8"
