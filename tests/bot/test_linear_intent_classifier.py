"""The linear intent classifier, trained and loaded through Rasa's own storage (Rasa venv)."""

from __future__ import annotations

from pathlib import Path

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import INTENT, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.components.linear_intent_classifier import LinearIntentClassifier, fit_scale
from bot.components.vietnamese_tokenizer import VietnameseTokenizer

EXAMPLES = {
    "ask_fee": [
        "lệ phí bao nhiêu",
        "mất bao nhiêu tiền",
        "có phải đóng phí không",
        "phí làm hồ sơ là bao nhiêu",
        "có mất tiền không ạ",
        "nộp lệ phí ở đâu",
        "chi phí hết bao nhiêu",
        "miễn phí hay có thu phí",
    ],
    "ask_processing_time": [
        "mất bao lâu",
        "bao giờ có kết quả",
        "mấy ngày thì xong",
        "thời gian giải quyết là bao lâu",
        "đợi lâu không ạ",
        "khi nào nhận được",
        "bao nhiêu ngày làm việc",
        "xử lý trong bao lâu",
    ],
    "greet": [
        "xin chào",
        "chào bạn",
        "chào ad",
        "alo có ai không",
        "hello",
        "chào buổi sáng",
        "dạ em chào anh chị",
        "hi bạn",
    ],
}


def messages(texts: list[str], intent: str | None = None) -> list[Message]:
    tokenizer = VietnameseTokenizer(VietnameseTokenizer.get_default_config())
    found = [Message(data={TEXT: t, **({INTENT: intent} if intent else {})}) for t in texts]
    tokenizer.process(found)
    return found


@pytest.fixture()
def storage(tmp_path: Path) -> LocalModelStorage:
    return LocalModelStorage(tmp_path)


CONTEXT = ExecutionContext(GraphSchema({}), "test")
RESOURCE = Resource("intent_classifier")


@pytest.fixture()
def trained(storage: LocalModelStorage) -> LinearIntentClassifier:
    classifier = LinearIntentClassifier.create({"ranking_length": 0}, storage, RESOURCE, CONTEXT)
    data = [m for intent, texts in EXAMPLES.items() for m in messages(texts, intent)]
    classifier.train(TrainingData(data))
    return classifier


def classify(classifier: LinearIntentClassifier, text: str) -> tuple[str, float, list[dict]]:
    (message,) = classifier.process(messages([text]))
    intent = message.get(INTENT)
    return intent["name"], intent["confidence"], message.get("intent_ranking")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("le phi bn vay", "ask_fee"),
        ("MẤY NGÀY THÌ CÓ KẾT QUẢ", "ask_processing_time"),
        ("chao ban nhe", "greet"),
    ],
)
def test_spelling_variants_of_unseen_sentences_are_classified(
    trained: LinearIntentClassifier, text: str, expected: str
) -> None:
    assert classify(trained, text)[0] == expected


def test_ranking_is_a_sorted_probability_distribution(trained: LinearIntentClassifier) -> None:
    _, confidence, ranking = classify(trained, "phí bao nhiêu")
    confidences = [r["confidence"] for r in ranking]
    assert {r["name"] for r in ranking} == set(EXAMPLES)
    assert confidences == sorted(confidences, reverse=True)
    assert confidence == confidences[0]
    assert sum(confidences) == pytest.approx(1.0)


def test_gibberish_is_less_confident_than_a_clear_question(trained: LinearIntentClassifier) -> None:
    assert classify(trained, "qwzx pvbn")[1] < classify(trained, "lệ phí bao nhiêu tiền")[1]


def test_emoji_only_message_gets_an_intent(trained: LinearIntentClassifier) -> None:
    assert classify(trained, "😀😀")[0] in EXAMPLES


def test_loaded_model_classifies_as_the_trained_one(
    trained: LinearIntentClassifier, storage: LocalModelStorage
) -> None:
    loaded = LinearIntentClassifier.load({"ranking_length": 0}, storage, RESOURCE, CONTEXT)
    for text in ["phí bao nhiêu", "bao lâu có kết quả", "chào bạn"]:
        assert classify(loaded, text) == classify(trained, text)


def test_untrained_classifier_leaves_messages_alone(storage: LocalModelStorage) -> None:
    classifier = LinearIntentClassifier.load({}, storage, Resource("missing"), CONTEXT)
    (message,) = classifier.process(messages(["xin chào"]))
    assert message.get(INTENT) is None


def test_scale_is_sharp_when_labels_are_learnable_and_soft_when_they_are_noise() -> None:
    config = LinearIntentClassifier.get_default_config()
    texts = [text for texts in EXAMPLES.values() for text in texts]
    labels = [intent for intent, texts in EXAMPLES.items() for _ in texts]
    noise = [labels[(i * 7) % len(labels)] for i in range(len(labels))]
    assert fit_scale(config, texts, labels) > fit_scale(config, texts, noise)
