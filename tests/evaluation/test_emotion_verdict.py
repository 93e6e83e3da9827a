import numpy as np

from mer_keras.data.emotions import EMOTIONS
from mer_keras.data.records import Item
from mer_keras.data.targets import decode_predictions, encode_targets
from mer_keras.evaluation.tasks.emotion import emotion_verdict, judge
from mer_keras.evaluation.metrics import classification_metrics


def test_band_and_value_claims_against_the_interval():
    band, value = {"band": [0.60, 0.65]}, {"value": 0.53}
    assert judge(band, 0.40, 0.55) == "below claim"
    assert judge(band, 0.58, 0.70) == "consistent" and judge(band, 0.61, 0.64) == "consistent"
    assert judge(band, 0.66, 0.80) == "above claim"
    assert judge(value, 0.45, 0.60) == "consistent" and judge(value, 0.30, 0.50) == "below claim"
    verdict = emotion_verdict("cnn_lstm", 0.5, {"low": 0.4, "high": 0.58}, "ravdess")
    assert verdict["claimed"] == [0.60, 0.65] and verdict["outcome"] == "below claim" and "RAVDESS" in verdict["caveat"]
    assert emotion_verdict("attn_crnn", 0.5, {"low": 0.4, "high": 0.58}, "ravdess")["outcome"] == "consistent"


def test_classification_metrics_and_label_round_trip():
    items = [Item(str(k), "s", None, {"emotion": name}) for k, name in enumerate(EMOTIONS)]
    assert list(encode_targets(items, "emotion")) == list(range(6))
    decoded = decode_predictions(np.eye(6), "emotion")
    assert [row["emotion"] for row in decoded] == list(EMOTIONS)
    true = ["angry", "angry", "sad", "happy"]
    pred = ["angry", "sad", "sad", "happy"]
    metrics = classification_metrics(true, pred, list(EMOTIONS))
    assert metrics["accuracy"] == 0.75
    assert metrics["per_class"]["angry"]["recall"] == 0.5 and np.isnan(metrics["per_class"]["neutral"]["recall"])
    assert metrics["confusion_matrix"]["rows_true_columns_predicted"][0][5] == 1   # angry -> sad
