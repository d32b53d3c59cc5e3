#!/usr/bin/env python3
"""Writes TensorFlow SavedModel files (saved_model.pb) for mlreg's tests
(t/t4110-inspect-savedmodel.t) byte by byte: Debian has no TensorFlow, so
a tiny protobuf encoder writes the messages of saved_model.proto and
meta_graph.proto (field numbers from tensorflow/core/protobuf/).

    make-savedmodel.py model OUT     tags [serve], tensorflow 2.11.0, and
                                     the signatures serving_default (images
                                     float [-1,28,28,1] -> scores float
                                     [-1,10]) and classify, plus the
                                     __saved_model_init_op entry
    make-savedmodel.py big OUT MB    the same with a GraphDef of MB megabytes
    make-savedmodel.py nometa OUT    a schema version, an unknown field and
                                     no meta graph
"""
import os
import sys

# DataType (tensorflow/core/framework/types.proto)
DT_FLOAT, DT_DOUBLE, DT_INT32, DT_STRING, DT_INT64 = 1, 2, 3, 7, 9
DT_FLOAT_REF = 101


def varint(n):
    n &= (1 << 64) - 1  # negative int64 values take ten bytes
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


def vint(num, value):
    """A varint field."""
    return tag(num, 0) + varint(value)


def ld(num, payload):
    """A length-delimited field: bytes, a string or a message."""
    if isinstance(payload, str):
        payload = payload.encode()
    return tag(num, 2) + varint(len(payload)) + payload


def shape(dims, unknown_rank=False):
    """TensorShapeProto: dim = 2 {size = 1, name = 2}, unknown_rank = 3."""
    if unknown_rank:
        return vint(3, 1)
    return b"".join(ld(2, vint(1, d)) for d in dims)


def tensor_info(name, dtype, dims=None, unknown_rank=False, composite=False):
    """TensorInfo: name = 1, dtype = 2, tensor_shape = 3, composite = 5."""
    m = ld(1, name)
    if dtype:
        m += vint(2, dtype)
    if dims is not None or unknown_rank:
        m += ld(3, shape(dims or [], unknown_rank))
    if composite:
        m += ld(5, ld(1, b"\x08\x01"))  # a TypeSpecProto we never read
    return m


def entry(key, value):
    """A map entry: key = 1, value = 2."""
    return ld(1, key) + ld(2, value)


def signature(inputs, outputs, method):
    """SignatureDef: inputs = 1, outputs = 2, method_name = 3."""
    return (b"".join(ld(1, entry(k, v)) for k, v in inputs) +
            b"".join(ld(2, entry(k, v)) for k, v in outputs) +
            ld(3, method))


def graph_def(pad):
    """A GraphDef with one NodeDef (name = 1, op = 2), versions = 4, and a
    Const node whose tensor content is pad bytes long."""
    g = ld(1, ld(1, "images") + ld(2, "Placeholder"))
    g += ld(4, vint(1, 1286))
    return g, pad


def meta_graph(pad=0):
    info = (ld(4, "serve") + ld(5, "2.11.0") +
            ld(6, "v2.11.0-rc2-17-gd5b57ca93e5"))
    serving = signature(
        [("images", tensor_info("serving_default_images:0", DT_FLOAT,
                                [-1, 28, 28, 1]))],
        [("scores", tensor_info("StatefulPartitionedCall:0", DT_FLOAT,
                                [-1, 10]))],
        "tensorflow/serving/predict")
    classify = signature(
        [("tokens", tensor_info("classify_tokens:0", DT_INT32, [-1, -1])),
         ("lengths", tensor_info("classify_lengths:0", DT_INT64, [-1])),
         ("weights", tensor_info("classify_weights:0", DT_FLOAT_REF, [3]))],
        [("probs", tensor_info("probs:0", DT_DOUBLE, unknown_rank=True)),
         ("label", tensor_info("label:0", DT_STRING, [])),
         ("ragged", tensor_info("", 0, composite=True)),
         ("alias", tensor_info("alias:0", DT_FLOAT))],
        "tensorflow/serving/classify")
    init = signature([], [("__saved_model_init_op",
                           tensor_info("NoOp", 0))], "")
    g, gpad = graph_def(pad)
    # signature_def in no sorted order, as protobuf may write a map
    return (ld(1, info) + ld(2, g) +
            ld(5, entry("serving_default", serving)) +
            ld(5, entry("__saved_model_init_op", init)) +
            ld(5, entry("classify", classify)) +
            ld(3, ld(1, "saver_filename:0")) +
            ld(7, b"")), gpad


def main(argv):
    if len(argv) < 3:
        sys.stderr.write(__doc__)
        return 2
    kind, out = argv[1], argv[2]
    with open(out, "wb") as f:
        f.write(vint(1, 1))  # saved_model_schema_version
        if kind == "nometa":
            f.write(ld(9, "not a meta graph"))  # a field of no meaning
            return 0
        if kind == "model":
            m, _ = meta_graph()
            f.write(ld(2, m))
            return 0
        if kind != "big":
            sys.stderr.write("make-savedmodel.py: unknown kind %s\n" % kind)
            return 2
        # a GraphDef with one more node, of MB megabytes, streamed
        mb = int(argv[3])
        m, _ = meta_graph()
        blob = mb * 1024 * 1024
        node = ld(1, "big") + ld(2, "Const") + tag(5, 2) + varint(blob)
        node_len = len(node) + blob
        extra = tag(1, 2) + varint(node_len) + node  # GraphDef.node
        extra_len = len(extra) + blob
        # the meta graph ends with a second graph_def field, merged by
        # protobuf into the first: its length covers the streamed bytes
        tail = tag(2, 2) + varint(extra_len) + extra
        f.write(tag(2, 2) + varint(len(m) + len(tail) + blob) + m + tail)
        f.seek(blob, os.SEEK_CUR)  # zeros, as a hole where it can be
        f.truncate()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
