#!/usr/bin/env python3
"""Writes small model files of the tensor and container formats for mlreg's
tests (t/t4200-inspect-tensors.t, t/t4210-inspect-containers.t), with
Debian's python3-numpy and python3-h5py; joblib and torch only for the
kinds named after them.  Nothing written here is ever loaded: the pickles
that would run code when loaded are only written.

    make-tensors.py npy-float OUT       numpy.save of float32 [2,3]
    make-tensors.py npy-int64 OUT       int64 [4]
    make-tensors.py npy-bool OUT        bool scalar (shape [])
    make-tensors.py npy-object OUT      object array [3] (allow_pickle)
    make-tensors.py npy-big OUT MB      float32 header, sparse data of MB MB
    make-tensors.py npz OUT             numpy.savez: x float32 [2,3], y int64 [4]
    make-tensors.py npz-compressed OUT  numpy.savez_compressed of the same
    make-tensors.py safetensors OUT     written byte by byte: weight F32 [2,3],
                                        bias F16 [3], __metadata__ format pt
    make-tensors.py safetensors-big OUT MB   one F32 tensor of MB MB, sparse
    make-tensors.py gguf OUT            written byte by byte: v3, llama, a
                                        5-string token array, F32 and Q4_0
    make-tensors.py gguf-v1 OUT         the same in GGUF version 1 (u32 counts)
    make-tensors.py h5 OUT              h5py file with one dataset
    make-tensors.py keras OUT           Keras 3 .keras zip: functional model,
                                        input [null, 4] float32, Dense(2)
    make-tensors.py torch-zip OUT       torch.save's zip layout, by hand
    make-tensors.py torchscript OUT     the same with archive/code/ (TorchScript)
    make-tensors.py torch-legacy OUT    torch's legacy format: magic number first
    make-tensors.py pickle OUT          pickle.dump of a dict with a numpy array
    make-tensors.py pickle0 OUT         the same, protocol 0 (text opcodes)
    make-tensors.py joblib-like OUT     what joblib.dump writes, without joblib:
                                        a (fake) sklearn estimator with numpy
                                        arrays inline, then a reference to
                                        os.system (never loaded)
    make-tensors.py evil OUT            a pickle whose loading would run
                                        os.system('echo pwned') (never loaded)
    make-tensors.py joblib OUT          joblib.dump of a (fake) sklearn estimator
                                        holding numpy arrays
    make-tensors.py joblib-z OUT        the same with compress=3 (zlib)
    make-tensors.py torch-real OUT      torch.save of nn.Linear(4, 2).state_dict()
    make-tensors.py torch-real-legacy OUT   the same, legacy format
    make-tensors.py hostile-gguf OUT    GGUF claiming 2^60 metadata entries
    make-tensors.py hostile-safetensors OUT  header length 2^62
    make-tensors.py hostile-npy OUT     header length 65535 in a short file
    make-tensors.py hostile-zip OUT     zip64 central directory of 2^32 entries
"""
import io
import json
import os
import pickle
import struct
import sys
import types
import zipfile


def npy(kind, out, mb=None):
    import numpy as np
    out = open(out, "wb")	# numpy.save would add .npy to the name
    if kind == "npy-float":
        np.save(out, np.arange(6, dtype=np.float32).reshape(2, 3))
    elif kind == "npy-int64":
        np.save(out, np.arange(4, dtype=np.int64))
    elif kind == "npy-bool":
        np.save(out, np.array(True))
    elif kind == "npy-object":
        np.save(out, np.array([1, "two", None], dtype=object), allow_pickle=True)
    elif kind == "npy-big":
        n = int(mb) * 1000 * 1000 // 4
        hdr = "{'descr': '<f4', 'fortran_order': False, 'shape': (%d,), }" % n
        hdr += " " * (63 - (10 + len(hdr)) % 64) + "\n"
        out.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", len(hdr)))
        out.write(hdr.encode())
        out.truncate(10 + len(hdr) + n * 4)
    out.close()


def npz(out, compressed):
    import numpy as np
    save = np.savez_compressed if compressed else np.savez
    with open(out, "wb") as f:
        save(f, x=np.arange(6, dtype=np.float32).reshape(2, 3),
             y=np.arange(4, dtype=np.int64))


def safetensors(out, mb=None):
    if mb is None:
        tensors = [("weight", "F32", [2, 3], 24), ("bias", "F16", [3], 6)]
        meta = {"format": "pt", "note": "made by make-tensors.py"}
    else:
        n = int(mb) * 1000 * 1000 // 4
        tensors = [("big", "F32", [n], n * 4)]
        meta = {"format": "pt"}
    header = {"__metadata__": meta}
    off = 0
    for name, dtype, shape, size in tensors:
        header[name] = {"dtype": dtype, "shape": shape,
                        "data_offsets": [off, off + size]}
        off += size
    text = json.dumps(header, separators=(",", ":")).encode()
    text += b" " * (-len(text) % 8)
    with open(out, "wb") as f:
        f.write(struct.pack("<Q", len(text)) + text)
        if mb is None:
            f.write(bytes(off))
        else:
            f.truncate(8 + len(text) + off)


def gguf(out, version=3):
    # version 1 wrote counts, lengths and dims as u32, later ones as u64
    n = "I" if version == 1 else "Q"

    def gguf_str(s):
        b = s.encode()
        return struct.pack("<" + n, len(b)) + b

    kv = [
        (gguf_str("general.architecture") + struct.pack("<I", 8) + gguf_str("llama")),
        (gguf_str("general.name") + struct.pack("<I", 8) + gguf_str("tiny-llama")),
        (gguf_str("general.file_type") + struct.pack("<II", 4, 2)),
        (gguf_str("llama.context_length") + struct.pack("<II", 4, 2048)),
        (gguf_str("llama.embedding_length") + struct.pack("<II", 4, 4)),
        (gguf_str("llama.rope.freq_base") + struct.pack("<If", 6, 10000.0)),
        (gguf_str("tokenizer.ggml.model") + struct.pack("<I", 8) + gguf_str("llama")),
        (gguf_str("tokenizer.ggml.tokens") + struct.pack("<II" + n, 9, 8, 5) +
         b"".join(gguf_str(t) for t in ["<s>", "</s>", "a", "b", "c"])),
        (gguf_str("tokenizer.ggml.scores") + struct.pack("<II" + n, 9, 6, 5) +
         struct.pack("<5f", 0, 0, -1, -2, -3)),
    ]
    # tensor infos: name, n_dims, dims (ggml order), type, offset
    infos = [
        gguf_str("token_embd.weight") + struct.pack("<I%s%sIQ" % (n, n), 2, 4, 2, 0, 0),
        gguf_str("blk.0.attn_q.weight") + struct.pack("<I%s%sIQ" % (n, n), 2, 32, 2, 2, 32),
    ]
    head = b"GGUF" + struct.pack("<I" + n + n, version, len(infos), len(kv))
    body = head + b"".join(kv) + b"".join(infos)
    body += bytes(-len(body) % 32)
    data = bytes(32) + bytes(2 * 18)	# F32 4x2 padded to 32, then 2 Q4_0 blocks
    with open(out, "wb") as f:
        f.write(body + data)


def h5(out):
    import h5py
    import numpy as np
    with h5py.File(out, "w") as f:
        f.create_dataset("dense/kernel", data=np.ones((4, 2), dtype=np.float32))
        f.attrs["note"] = "made by make-tensors.py"


def keras(out):
    config = {
        "module": "keras.src.models.functional",
        "class_name": "Functional",
        "config": {
            "name": "tiny",
            "trainable": True,
            "layers": [
                {"module": "keras.layers", "class_name": "InputLayer",
                 "config": {"batch_shape": [None, 4], "dtype": "float32",
                            "sparse": False, "name": "features"},
                 "registered_name": None, "name": "features",
                 "inbound_nodes": []},
                {"module": "keras.layers", "class_name": "Dense",
                 "config": {"name": "dense", "trainable": True,
                            "dtype": {"module": "keras", "class_name": "DTypePolicy",
                                      "config": {"name": "float32"},
                                      "registered_name": None},
                            "units": 2, "activation": "softmax", "use_bias": True},
                 "registered_name": None, "build_config": {"input_shape": [None, 4]},
                 "name": "dense",
                 "inbound_nodes": [{"args": [{"class_name": "__keras_tensor__",
                                              "config": {"shape": [None, 4],
                                                         "dtype": "float32",
                                                         "keras_history": ["features", 0, 0]}}],
                                    "kwargs": {}}]},
            ],
            "input_layers": [["features", 0, 0]],
            "output_layers": [["dense", 0, 0]],
        },
        "registered_name": "Functional",
        "build_config": {"input_shape": None},
        "compile_config": None,
    }
    meta = {"keras_version": "3.0.0", "date_saved": "2024-01-01@00:00:00"}
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("metadata.json", json.dumps(meta))
        z.writestr("config.json", json.dumps(config))
        z.writestr("model.weights.h5", b"")


# Hand-written pickle opcodes (protocol 2) of what torch.save pickles for a
# state dict: an OrderedDict of tensors rebuilt by torch._utils from storages
# named by persistent ids.  Never loaded.
TORCH_DATA_PKL = (
    b"\x80\x02ccollections\nOrderedDict\nq\x00)Rq\x01"
    b"X\x06\x00\x00\x00weightq\x02"
    b"ctorch._utils\n_rebuild_tensor_v2\nq\x03"
    b"((X\x07\x00\x00\x00storageq\x04ctorch\nFloatStorage\nq\x05"
    b"X\x01\x00\x00\x000q\x06X\x03\x00\x00\x00cpuq\x07K\x06tq\x08Q"
    b"K\x00K\x02K\x03\x86q\tK\x03K\x01\x86q\n\x89h\x00)Rq\x0btq\x0cRq\r"
    b"s.")


def torch_zip(out, code):
    with zipfile.ZipFile(out, "w") as z:
        z.writestr("archive/data.pkl", TORCH_DATA_PKL)
        z.writestr("archive/byteorder", b"little")
        z.writestr("archive/data/0", bytes(24))
        if code:
            z.writestr("archive/code/__torch__/tiny.py", b"class Tiny(Module):\n  pass\n")
            z.writestr("archive/constants.pkl", b"\x80\x02).")
        z.writestr("archive/version", b"3\n")


def torch_legacy(out):
    with open(out, "wb") as f:
        pickle.dump(0x1950a86a20f9469cfc6c, f, protocol=2)
        pickle.dump(1001, f, protocol=2)
        pickle.dump({"protocol_version": 1001, "little_endian": True,
                     "type_sizes": {"short": 2, "int": 4, "long": 4}}, f, protocol=2)
        f.write(TORCH_DATA_PKL)
        pickle.dump(["0"], f, protocol=2)
        f.write(struct.pack("<Q", 6) + bytes(24))


def fake_sklearn():
    """A module named like scikit-learn's, so that pickles name its class."""
    mod = types.ModuleType("sklearn.linear_model._logistic")

    class LogisticRegression:
        def __init__(self):
            self.C = 1.0
            self.classes_ = [0, 1]

    LogisticRegression.__module__ = mod.__name__
    LogisticRegression.__qualname__ = "LogisticRegression"
    mod.LogisticRegression = LogisticRegression
    for name in ("sklearn", "sklearn.linear_model", mod.__name__):
        sys.modules.setdefault(name, types.ModuleType(name))
    sys.modules[mod.__name__] = mod
    return LogisticRegression()


def joblib_like(out):
    """What joblib.dump writes, without joblib: each numpy array pickled as a
    joblib.numpy_pickle.NumpyArrayWrapper whose raw bytes follow it inline,
    after a padding length byte and padding to 16 bytes."""
    import numpy as np
    mod = types.ModuleType("joblib.numpy_pickle")

    class NumpyArrayWrapper:
        def __init__(self, a):
            self.subclass = type(a)
            self.shape = a.shape
            self.order = "C"
            self.dtype = a.dtype
            self.allow_mmap = True
            self.numpy_array_alignment_bytes = 16

    NumpyArrayWrapper.__module__ = mod.__name__
    NumpyArrayWrapper.__qualname__ = "NumpyArrayWrapper"
    mod.NumpyArrayWrapper = NumpyArrayWrapper
    sys.modules.setdefault("joblib", types.ModuleType("joblib"))
    sys.modules[mod.__name__] = mod

    class Pickler(pickle._Pickler):
        def save(self, obj, save_persistent_id=True):
            if type(obj) is np.ndarray and obj.dtype.kind != "O":
                pickle._Pickler.save(self, NumpyArrayWrapper(obj))
                self.framer.commit_frame(force=True)
                f = self.framer.file_write.__self__
                pad = 16 - (f.tell() + 1) % 16
                f.write(bytes([pad]) + b"\xff" * pad)
                f.write(obj.tobytes())
                return None
            return pickle._Pickler.save(self, obj, save_persistent_id)

    est = fake_sklearn()
    est.coef_ = np.arange(8, dtype=np.float64).reshape(2, 4)
    est.intercept_ = np.zeros(2, dtype=np.float32)
    est.n_iter_ = np.array([7], dtype=np.int32)
    est.after_ = {"solver": "lbfgs", "evil": os.system}
    with open(out, "wb") as f:
        Pickler(f, protocol=4).dump(est)


class Evil:
    def __reduce__(self):
        return (os.system, ("echo pwned",))


def main():
    if len(sys.argv) < 3:
        sys.exit(__doc__)
    kind, out = sys.argv[1], sys.argv[2]
    arg = sys.argv[3] if len(sys.argv) > 3 else None
    if kind.startswith("npy"):
        npy(kind, out, arg)
    elif kind == "npz":
        npz(out, False)
    elif kind == "npz-compressed":
        npz(out, True)
    elif kind == "safetensors":
        safetensors(out)
    elif kind == "safetensors-big":
        safetensors(out, arg)
    elif kind == "gguf":
        gguf(out)
    elif kind == "gguf-v1":
        gguf(out, 1)
    elif kind == "h5":
        h5(out)
    elif kind == "keras":
        keras(out)
    elif kind == "torch-zip":
        torch_zip(out, False)
    elif kind == "torchscript":
        torch_zip(out, True)
    elif kind == "torch-legacy":
        torch_legacy(out)
    elif kind in ("pickle", "pickle0"):
        import numpy as np
        obj = {"weights": np.arange(3, dtype=np.float64), "name": "tiny"}
        with open(out, "wb") as f:
            pickle.dump(obj, f, protocol=0 if kind == "pickle0" else 4)
    elif kind == "joblib-like":
        joblib_like(out)
    elif kind == "evil":
        with open(out, "wb") as f:
            f.write(pickle.dumps(Evil(), protocol=2))
    elif kind in ("joblib", "joblib-z"):
        import joblib
        import numpy as np
        est = fake_sklearn()
        est.coef_ = np.ones((1, 4))
        est.intercept_ = np.zeros(1)
        est.names_ = np.array(["a", None], dtype=object)
        est.after_ = {"solver": "lbfgs"}
        joblib.dump(est, out, compress=3 if kind == "joblib-z" else 0)
    elif kind in ("torch-real", "torch-real-legacy"):
        import torch
        sd = torch.nn.Linear(4, 2).state_dict()
        torch.save(sd, out, _use_new_zipfile_serialization=kind == "torch-real")
    elif kind == "hostile-gguf":
        with open(out, "wb") as f:
            f.write(b"GGUF" + struct.pack("<IQQ", 3, 1, 1 << 60) + bytes(64))
    elif kind == "hostile-safetensors":
        with open(out, "wb") as f:
            f.write(struct.pack("<Q", 1 << 62) + b'{"a":{}}' + bytes(64))
    elif kind == "hostile-npy":
        with open(out, "wb") as f:
            f.write(b"\x93NUMPY\x01\x00" + struct.pack("<H", 65535) +
                    b"{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }")
    elif kind == "hostile-zip":
        # one real member, then a zip64 end record claiming 2^32 entries
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("config.json", b"{}")
        data = buf.getvalue()
        eocd = data.rindex(b"PK\x05\x06")
        cd_size, cd_off = struct.unpack("<II", data[eocd + 12:eocd + 20])
        z64_off = eocd
        rec = (b"PK\x06\x06" + struct.pack("<QHHIIQQQQ", 44, 45, 45, 0, 0,
                                             1 << 32, 1 << 32, cd_size, cd_off))
        loc = b"PK\x06\x07" + struct.pack("<IQI", 0, z64_off, 1)
        end = (b"PK\x05\x06" + struct.pack("<HHHHIIH", 0, 0, 0xffff, 0xffff,
                                             0xffffffff, 0xffffffff, 0))
        with open(out, "wb") as f:
            f.write(data[:eocd] + rec + loc + end)
    else:
        sys.exit("make-tensors.py: unknown kind %s" % kind)


if __name__ == "__main__":
    main()
