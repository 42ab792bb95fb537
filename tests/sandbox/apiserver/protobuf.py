"""Decoding of the protobuf bodies kubectl's typed clients send (`kubectl create namespace|configmap|secret`).

A real apiserver accepts `application/vnd.kubernetes.protobuf`; clients do not fall back to JSON on 415.
Only the kinds those generator commands write are decoded (their metadata and data maps); any other
protobuf body is answered 415 by the caller.
"""
import base64

MAGIC = b"k8s\x00"


def _varint(data, pos):
    result, shift = 0, 0
    while True:
        byte = data[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def fields(data):
    """(field number, value) pairs of one message: ints for varints, bytes for length-delimited fields."""
    pos, out = 0, []
    while pos < len(data):
        key, pos = _varint(data, pos)
        number, wire = key >> 3, key & 7
        if wire == 0:
            value, pos = _varint(data, pos)
        elif wire == 2:
            size, pos = _varint(data, pos)
            value, pos = data[pos:pos + size], pos + size
        elif wire == 1:
            value, pos = data[pos:pos + 8], pos + 8
        elif wire == 5:
            value, pos = data[pos:pos + 4], pos + 4
        else:
            raise ValueError(f"unsupported protobuf wire type {wire}")
        out.append((number, value))
    return out


def _map(entries, binary=False):
    out = {}
    for entry in entries:
        parts = dict(fields(entry))
        value = parts.get(2, b"")
        out[parts.get(1, b"").decode()] = base64.b64encode(value).decode() if binary else value.decode()
    return out


def _metadata(data):
    parsed = fields(data)
    metadata = {}
    for number, key in ((1, "name"), (2, "generateName"), (3, "namespace")):
        values = [v for n, v in parsed if n == number]
        if values and values[-1]:
            metadata[key] = values[-1].decode()
    for number, key in ((11, "labels"), (12, "annotations")):
        entries = [v for n, v in parsed if n == number]
        if entries:
            metadata[key] = _map(entries)
    finalizers = [v.decode() for n, v in parsed if n == 14]
    if finalizers:
        metadata["finalizers"] = finalizers
    return metadata


def _object(kind, raw):
    parsed = fields(raw)
    obj = {"metadata": _metadata(next((v for n, v in parsed if n == 1), b""))}
    if kind == "ConfigMap":
        for number, key, binary in ((2, "data", False), (3, "binaryData", True)):
            entries = [v for n, v in parsed if n == number]
            if entries:
                obj[key] = _map(entries, binary)
    elif kind == "Secret":
        entries = [v for n, v in parsed if n == 2]
        if entries:
            obj["data"] = _map(entries, binary=True)
        secret_type = [v for n, v in parsed if n == 3]
        if secret_type and secret_type[-1]:
            obj["type"] = secret_type[-1].decode()
    elif kind == "Namespace":
        spec = next((v for n, v in parsed if n == 2), None)
        if spec is not None:
            obj["spec"] = {"finalizers": [v.decode() for n, v in fields(spec) if n == 1]}
    return obj


SUPPORTED_KINDS = ("Namespace", "ConfigMap", "Secret")


def decode(body):
    """The JSON-shaped object of a `k8s\\0`-framed protobuf body; None for kinds not decoded here."""
    if not body.startswith(MAGIC):
        return None
    envelope = dict(fields(body[len(MAGIC):]))
    type_meta = dict(fields(envelope.get(1, b"")))
    api_version, kind = type_meta.get(1, b"").decode(), type_meta.get(2, b"").decode()
    if kind not in SUPPORTED_KINDS or api_version != "v1":
        return None
    return dict(_object(kind, envelope.get(2, b"")), apiVersion=api_version, kind=kind)
