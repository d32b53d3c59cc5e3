# score.py for an ADS model artifact (as ADS's boilerplate writes it)
import json
import os

model_name = "model.joblib"


def load_model(model_file_name=model_name):
    """Loads the serialized model from the artifact directory."""
    model_dir = os.path.dirname(os.path.realpath(__file__))
    path = os.path.join(model_dir, model_file_name)
    return path  # a real artifact would deserialize it here


def pre_inference(data):
    return json.loads(data) if isinstance(data, str) else data


def predict(data, model=load_model()):
    """Returns {'prediction': ...} for the rows in data."""
    rows = pre_inference(data)
    return {"prediction": [0 for _ in rows]}
