"""Damages hermes's HDF5 files the way disks and foreign tools do, for test_corruption.cmake.

  flip FILE DATASET            flip one byte in the middle of the dataset's first chunk
  unchecked SRC DST            rewrite a file without checksums (as hermes wrote files before)
  uint8_tokens SRC DST         rewrite a shard with its token ids stored as uint8
  transpose SRC DST DATASET    rewrite a checkpoint with one 2-D tensor transposed
  int32 SRC DST DATASET        rewrite a checkpoint with one tensor stored as int32
  attr FILE OBJECT NAME JSON   set an attribute in place (JSON: a number, a string or an object,
                               stored as HDF5 stores it when hermes writes it; objects as text)
"""
import json
import shutil
import sys

import h5py
import numpy as np


def data_offset(ds):
    if ds.chunks:
        info = ds.id.get_chunk_info(0)
        return info.byte_offset, info.size
    return ds.id.get_offset(), ds.id.get_storage_size()


def flip(path, name):
    with h5py.File(path, "r") as f:
        offset, size = data_offset(f[name])
    with open(path, "r+b") as raw:
        raw.seek(offset + size // 2)
        byte = raw.read(1)
        raw.seek(offset + size // 2)
        raw.write(bytes([byte[0] ^ 0x5A]))


def rewrite(src, dst, change):
    """Copies every dataset and attribute of src into a new dst, without filters or chunks,
    letting change(name, array) replace a dataset's contents (None: keep it)."""
    with h5py.File(src, "r") as fin, h5py.File(dst, "w", libver=("v108", "latest")) as fout:
        for k, v in fin.attrs.items():
            fout.attrs[k] = v

        def copy(name, obj):
            if isinstance(obj, h5py.Group):
                g = fout.require_group(name)
                for k, v in obj.attrs.items():
                    g.attrs[k] = v
                return
            data = obj[()]
            replaced = change(name, data)
            fout.create_dataset(name, data=data if replaced is None else replaced)

        fin.visititems(copy)


def main():
    mode = sys.argv[1]
    if mode == "flip":
        flip(sys.argv[2], sys.argv[3])
    elif mode == "unchecked":
        rewrite(sys.argv[2], sys.argv[3], lambda name, data: None)
    elif mode == "uint8_tokens":
        rewrite(sys.argv[2], sys.argv[3], lambda name, data: data.astype(np.uint8) if name == "tokens" else None)
    elif mode == "transpose":
        target = sys.argv[4].lstrip("/")
        rewrite(sys.argv[2], sys.argv[3], lambda name, data: np.ascontiguousarray(data.T) if name == target else None)
    elif mode == "int32":
        target = sys.argv[4].lstrip("/")
        rewrite(sys.argv[2], sys.argv[3], lambda name, data: data.astype(np.int32) if name == target else None)
    elif mode == "attr":
        value = json.loads(sys.argv[5])
        with h5py.File(sys.argv[2], "r+") as f:
            obj = f[sys.argv[3]]
            old = obj.attrs[sys.argv[4]]
            if isinstance(value, dict):
                value = json.dumps(value)
            if isinstance(value, str):  # fixed-length text, as hermes writes it
                del obj.attrs[sys.argv[4]]
                obj.attrs.create(sys.argv[4], np.bytes_(value.encode()))
            else:
                obj.attrs.modify(sys.argv[4], np.array(value, dtype=np.asarray(old).dtype))
    else:
        sys.exit(f"unknown mode {mode}")


if __name__ == "__main__":
    main()
