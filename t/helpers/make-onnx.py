#!/usr/bin/env python3
"""Writes small real ONNX models for mlreg's tests (t/t4100-inspect-onnx.t)
with Debian's python3-onnx (and numpy; torch only for 'torch').

    make-onnx.py linear OUT      x float [batch,3] -> y float [batch,1]; the
                                 initializers W and B are listed as graph
                                 inputs too, as exporters before IR 4 did
    make-onnx.py multi OUT       int64, string, bool (scalar), double (no
                                 shape), sequence and optional inputs
    make-onnx.py meta OUT        metadata_props, two opsets, doc_string,
                                 domain, model_version
    make-onnx.py big OUT MB      one float initializer of MB megabytes
    make-onnx.py torch OUT       torch.onnx.export of nn.Linear(3, 1) with a
                                 dynamic batch axis
"""
import os
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper


def linear():
    w = numpy_helper.from_array(np.ones((3, 1), dtype=np.float32), "W")
    b = numpy_helper.from_array(np.zeros((1,), dtype=np.float32), "B")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "W"], ["xw"]),
         helper.make_node("Add", ["xw", "B"], ["y"])],
        "linear",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["batch", 3]),
         helper.make_tensor_value_info("W", TensorProto.FLOAT, [3, 1]),
         helper.make_tensor_value_info("B", TensorProto.FLOAT, [1])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["batch", 1])],
        initializer=[w, b])
    m = helper.make_model(graph, producer_name="mlreg-test",
                          producer_version="1.0",
                          opset_imports=[helper.make_opsetid("", 9)])
    m.ir_version = 3
    return m


def multi():
    seq = helper.make_sequence_type_proto(
        helper.make_tensor_type_proto(TensorProto.FLOAT, [2]))
    opt = helper.make_optional_type_proto(
        helper.make_tensor_type_proto(TensorProto.INT32, [4]))
    nos = onnx.TypeProto()
    nos.tensor_type.elem_type = TensorProto.DOUBLE	# no shape at all
    inputs = [
        helper.make_tensor_value_info("ids", TensorProto.INT64, ["N", 8]),
        helper.make_tensor_value_info("text", TensorProto.STRING, [1]),
        helper.make_tensor_value_info("flag", TensorProto.BOOL, []),
        helper.make_value_info("anything", nos),
        helper.make_value_info("seq", seq),
        helper.make_value_info("maybe", opt),
        helper.make_tensor_value_info("half", TensorProto.FLOAT16, [2, None]),
    ]
    outputs = [
        helper.make_tensor_value_info("ids_out", TensorProto.INT64, ["N", 8]),
        helper.make_tensor_value_info("text_out", TensorProto.STRING, [1]),
        helper.make_tensor_value_info("flag_out", TensorProto.BOOL, []),
    ]
    nodes = [helper.make_node("Identity", [a], [b]) for a, b in
             (("ids", "ids_out"), ("text", "text_out"), ("flag", "flag_out"))]
    graph = helper.make_graph(nodes, "multi", inputs, outputs)
    return helper.make_model(graph, producer_name="mlreg-test",
                             opset_imports=[helper.make_opsetid("", 16)])


def meta():
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "meta-graph",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])])
    m = helper.make_model(
        graph, producer_name="skl2onnx", producer_version="1.13",
        domain="org.example", model_version=7, doc_string="a tiny relu",
        opset_imports=[helper.make_opsetid("", 13),
                       helper.make_opsetid("ai.onnx.ml", 3)])
    helper.set_model_props(m, {"author": "mlreg", "license": "MIT"})
    return m


def varint(n):
    out = bytearray()
    while True:
        b = n & 0x7f
        n >>= 7
        if n:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def tag(num, wire):
    return varint(num << 3 | wire)


def big(out, mb):
    """Writes the model to OUT around the initializer's raw_data, which is
    left a hole of zeros, so a model of hundreds of megabytes takes neither
    memory nor (on most filesystems) disk."""
    n = mb * 1024 * 1024 // 4
    graph = helper.make_graph(
        [helper.make_node("Add", ["x", "W"], ["y"])], "big",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])])
    model = helper.make_model(graph, producer_name="mlreg-test",
                              opset_imports=[helper.make_opsetid("", 13)])
    model.ClearField("graph")
    w = TensorProto()
    w.name = "W"
    w.data_type = TensorProto.FLOAT
    w.dims.append(n)
    head = w.SerializeToString() + tag(9, 2) + varint(4 * n)  # raw_data
    init = tag(5, 2) + varint(len(head) + 4 * n) + head  # initializer
    g = graph.SerializeToString()
    with open(out, "wb") as f:
        f.write(model.SerializeToString())
        f.write(tag(7, 2) + varint(len(g) + len(init) + 4 * n))  # graph
        f.write(g + init)
        # the zeros of raw_data as a hole: the file is sparse where it can be
        f.seek(4 * n, os.SEEK_CUR)
        f.truncate()


def torch_linear(out):
    import torch
    torch.manual_seed(0)
    model = torch.nn.Linear(3, 1)
    torch.onnx.export(model, torch.zeros(2, 3), out, input_names=["x"],
                      output_names=["y"],
                      dynamic_axes={"x": {0: "batch"}, "y": {0: "batch"}})


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    kind, out = argv[1], argv[2]
    if kind == "torch":
        torch_linear(out)
        return 0
    if kind == "big":
        big(out, int(argv[3]))
        return 0
    m = {"linear": linear, "multi": multi, "meta": meta}[kind]()
    with open(out, "wb") as f:
        f.write(m.SerializeToString())
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
