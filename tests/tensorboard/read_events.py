#!/usr/bin/python3
"""Reads TensorBoard event files the way TensorBoard does, independently of fct's C++ code.

usage: read_events.py PROTO_MODULE_DIR EVENT_FILE...

PROTO_MODULE_DIR holds framework/tensorboard/tensorboard_event_pb2.py, made by
`protoc --python_out` from fct's .proto. Each record's framing and both masked CRC-32C are
checked (bit by bit here, not with a table as fct does); the events are printed as JSON lines:
{"file", "wall_time", "step", "file_version"} or {"file", "wall_time", "step", "tag", "value"}.
Exits 1 naming the file and byte offset of a bad record.
"""
import json
import struct
import sys


def crc32c(data):
    crc = 0xFFFFFFFF
    for byte in data:
        crc ^= byte
        for _ in range(8):
            crc = (crc >> 1) ^ (0x82F63B78 if crc & 1 else 0)
    return crc ^ 0xFFFFFFFF


def masked(crc):
    return (((crc >> 15) | (crc << 17)) + 0xA282EAD8) & 0xFFFFFFFF


def main():
    sys.path.insert(0, sys.argv[1])
    from framework.tensorboard import tensorboard_event_pb2 as pb

    for path in sys.argv[2:]:
        data = open(path, "rb").read()
        offset = 0
        while offset < len(data):
            header = data[offset:offset + 12]
            if len(header) < 12:
                sys.exit(f"{path}: cut record header at byte {offset}")
            (length,) = struct.unpack("<Q", header[:8])
            (length_crc,) = struct.unpack("<I", header[8:])
            if masked(crc32c(header[:8])) != length_crc:
                sys.exit(f"{path}: bad length checksum at byte {offset}")
            body = data[offset + 12:offset + 12 + length]
            footer = data[offset + 12 + length:offset + 16 + length]
            if len(body) < length or len(footer) < 4:
                sys.exit(f"{path}: cut record at byte {offset}")
            if masked(crc32c(body)) != struct.unpack("<I", footer)[0]:
                sys.exit(f"{path}: bad data checksum at byte {offset}")
            event = pb.Event()
            event.ParseFromString(body)
            base = {"file": path, "wall_time": event.wall_time, "step": event.step}
            if event.HasField("file_version"):
                print(json.dumps(dict(base, file_version=event.file_version)))
            for value in event.summary.value:
                print(json.dumps(dict(base, tag=value.tag, value=value.simple_value)))
            offset += 16 + length


if __name__ == "__main__":
    main()
