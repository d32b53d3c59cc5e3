#!/usr/bin/env python3
"""Build contrib/example/model.onnx: a tiny linear-regression ONNX graph.

    y = x . W + b      x: float [N, 3]   W: float [3, 1]   b: float [1]
                       y: float [N, 1]

The weights are fixed constants, so running this script again produces
byte-identical output (and therefore the same SHA-256 in an mlreg store).
Needs python3-onnx and python3-numpy (Debian 12: apt-get install
python3-onnx python3-numpy).

Usage: python3 contrib/example/make-model.py [OUTPUT]   (default: model.onnx
next to this script)
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

OPSET = 13


def build():
    """Return the ModelProto of the example regressor."""
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [-1, 3])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [-1, 1])
    w = numpy_helper.from_array(
        np.array([[0.5], [-1.25], [2.0]], dtype=np.float32), name="W")
    b = numpy_helper.from_array(np.array([0.1], dtype=np.float32), name="b")
    gemm = helper.make_node("Gemm", ["x", "W", "b"], ["y"], name="linear")
    graph = helper.make_graph([gemm], "linear_regression", [x], [y],
                              initializer=[w, b])
    model = helper.make_model(
        graph,
        producer_name="mlreg-example",
        producer_version="1",
        opset_imports=[helper.make_opsetid("", OPSET)])
    model.doc_string = "y = x . W + b (example model for mlreg)"
    onnx.checker.check_model(model)
    return model


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    out = sys.argv[1] if len(sys.argv) > 1 else os.path.join(here, "model.onnx")
    model = build()
    onnx.save(model, out)
    print("wrote %s (%d bytes)" % (out, os.path.getsize(out)))


if __name__ == "__main__":
    main()
