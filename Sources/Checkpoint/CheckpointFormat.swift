import Foundation

/// Format constants and the pinned schema of format version 1.
public enum CheckpointFormat {
    public static let name = "toonkit.checkpoint"
    public static let version = FormatVersion(major: 1, minor: 0)
    /// The release of toonkit (what `toonkit --version` prints).
    public static let releaseVersion = "0.1.0"
    /// Written as `created_by` and as the tool version of provenance records.
    public static let toolVersion = "toonkit \(releaseVersion)"

    /// The text of `schemas/checkpoint-v1.schema.json`; a test checks that the two stay identical.
    public static let schemaText = #"""
{
  "$schema": "https://json-schema.org/draft/2020-12/schema",
  "$id": "https://toonkit.invalid/schemas/checkpoint-v1.schema.json",
  "title": "toonkit checkpoint, format version 1.x (manifest of the HDF5 file)",
  "description": "The reader builds this manifest from the HDF5 file's header (no tensor data) and validates it on every open. HDF5 objects map to keys as follows: root attributes -> attributes; /architecture (JSON string dataset) -> architecture; /networks/NET/NAME (dataset) -> networks.NET.tensors.NAME; /provenance (1-D string dataset, one JSON record per element) -> provenance; /training -> training; /extra/NAME (JSON string dataset) -> extra.NAME. Objects this schema does not name are ignored, so that minor versions can add optional content.",
  "type": "object",
  "required": ["attributes", "architecture", "networks", "provenance"],
  "properties": {
    "attributes": {
      "description": "Attributes of the root group.",
      "type": "object",
      "required": ["format", "format_version", "created_by", "created_at"],
      "properties": {
        "format": { "const": "toonkit.checkpoint" },
        "format_version": {
          "description": "major.minor; readers refuse an unknown major version and accept any minor version.",
          "type": "string",
          "pattern": "^[0-9]+\\.[0-9]+$"
        },
        "created_by": { "description": "The toonkit version that wrote the file.", "type": "string", "minLength": 1 },
        "created_at": { "$ref": "#/$defs/timestamp" }
      }
    },
    "architecture": { "$ref": "#/$defs/architecture" },
    "networks": {
      "description": "One group per network (G, G_ema, D, others allowed).",
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/network_name" },
      "additionalProperties": {
        "type": "object",
        "required": ["link_creation_order_tracked", "tensors"],
        "properties": {
          "link_creation_order_tracked": {
            "description": "The group was created with H5P_CRT_ORDER_TRACKED, so tensors list in the order they were written (state_dict order).",
            "const": true
          },
          "tensors": {
            "type": "object",
            "propertyNames": { "$ref": "#/$defs/tensor_name" },
            "additionalProperties": { "$ref": "#/$defs/network_tensor" }
          }
        }
      }
    },
    "provenance": {
      "description": "Append-only log, oldest record first.",
      "type": "array",
      "items": { "$ref": "#/$defs/provenance_record" }
    },
    "training": {
      "description": "Optional resumable training state.",
      "type": "object",
      "properties": {
        "attributes": {
          "description": "Named scalars (step, kimg, augment_p, ...) as int64 or float64 attributes of /training.",
          "type": "object",
          "additionalProperties": { "type": "number" }
        },
        "state": { "description": "/training/state: one JSON document (options, RNG state, optimizer scalars)." },
        "tensors": {
          "description": "/training/tensors/PATH: per-tensor state such as Adam moments (adam/G/NAME/m). PATH may contain groups.",
          "type": "object",
          "propertyNames": { "$ref": "#/$defs/relative_path" },
          "additionalProperties": { "$ref": "#/$defs/training_tensor" }
        }
      }
    },
    "extra": {
      "description": "/extra/NAME: imported metadata as JSON documents (training_set_kwargs of an NVIDIA pickle, rosinality_args of a rosinality checkpoint).",
      "type": "object",
      "propertyNames": { "$ref": "#/$defs/tensor_name" }
    }
  },
  "$defs": {
    "timestamp": {
      "description": "ISO 8601 date and time with a time zone.",
      "type": "string",
      "pattern": "^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]+)?(Z|[+-][0-9]{2}:?[0-9]{2})$"
    },
    "sha256": { "type": "string", "pattern": "^[0-9a-f]{64}$" },
    "network_name": { "type": "string", "pattern": "^[A-Za-z0-9_][A-Za-z0-9_.-]*$" },
    "tensor_name": {
      "description": "An HDF5 link name: no slash, not starting with a dot. Tensors use the full dotted NVIDIA name.",
      "type": "string",
      "pattern": "^[^/.][^/]*$"
    },
    "relative_path": { "type": "string", "pattern": "^[^/.][^/]*(/[^/.][^/]*)*$" },
    "dtype": {
      "description": "Derived from the HDF5 type: IEEE float32/float64 LE, float16 and bfloat16 as 2-byte IEEE-layout floats, signed integers LE, uint8, bool as h5py's int8 enum {FALSE, TRUE}.",
      "enum": ["float32", "float16", "bfloat16", "float64", "int64", "int32", "int16", "int8", "uint8", "bool"]
    },
    "tensor_storage": {
      "description": "Properties of a tensor dataset's storage.",
      "type": "object",
      "required": ["dtype", "shape", "layout", "filters", "external_files"],
      "properties": {
        "dtype": { "$ref": "#/$defs/dtype" },
        "shape": {
          "description": "[] for a scalar dataspace.",
          "type": "array",
          "items": { "type": "integer", "minimum": 0 }
        },
        "layout": { "description": "Contiguous, so the raw bytes can be memory-mapped.", "const": "contiguous" },
        "filters": { "description": "No compression or other filters.", "const": 0 },
        "external_files": { "description": "Whether HDF5 external storage holds the data; a checkpoint is self-contained.", "const": false }
      }
    },
    "network_tensor": {
      "type": "object",
      "$ref": "#/$defs/tensor_storage",
      "required": ["attributes"],
      "properties": {
        "attributes": {
          "type": "object",
          "required": ["kind", "trainable", "sha256"],
          "properties": {
            "kind": { "enum": ["parameter", "buffer"] },
            "trainable": { "description": "Integer 0 or 1 (an h5py bool reads as 0/1 too).", "enum": [0, 1] },
            "sha256": { "$ref": "#/$defs/sha256" }
          }
        }
      }
    },
    "training_tensor": {
      "type": "object",
      "$ref": "#/$defs/tensor_storage",
      "required": ["attributes"],
      "properties": {
        "attributes": {
          "type": "object",
          "required": ["sha256"],
          "properties": { "sha256": { "$ref": "#/$defs/sha256" } }
        }
      }
    },
    "provenance_record": {
      "type": "object",
      "required": ["operation", "time", "tool_version", "parameters", "inputs"],
      "properties": {
        "operation": { "type": "string", "minLength": 1 },
        "time": { "$ref": "#/$defs/timestamp" },
        "tool_version": { "type": "string", "minLength": 1 },
        "parameters": { "type": "object" },
        "inputs": {
          "type": "array",
          "items": {
            "type": "object",
            "required": ["path", "sha256"],
            "properties": { "path": { "type": "string" }, "sha256": { "$ref": "#/$defs/sha256" } }
          }
        },
        "note": { "type": "string" }
      }
    },
    "architecture": {
      "description": "The architecture document: a JSON object whose kind names the architecture. The module that knows that kind checks its fields and the networks against it (StyleGAN2: docs/checkpoint-format.md §3). Further keys are allowed for later minor versions.",
      "type": "object",
      "required": ["kind"],
      "properties": {
        "kind": { "type": "string", "minLength": 1 }
      }
    }
  }
}

"""#

    /// Parsed once; the schema is a constant of the program, so failing to load it is a programming error.
    static let schema: JSONSchema = {
        do { return try JSONSchema(JSONValue.parse(schemaText, what: "the built-in checkpoint schema")) }
        catch { fatalError("built-in checkpoint schema: \(error)") }
    }()
}

/// `major.minor`: a reader accepts any minor version of the major version it knows.
public struct FormatVersion: Equatable, Sendable, CustomStringConvertible {
    public var major: Int
    public var minor: Int

    public init(major: Int, minor: Int) {
        self.major = major
        self.minor = minor
    }

    public init?(_ text: String) {
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy { ("0"..."9").contains($0) } }),
              let major = Int(parts[0]), let minor = Int(parts[1]), major >= 0, minor >= 0 else { return nil }
        self.init(major: major, minor: minor)
    }

    public var description: String { "\(major).\(minor)" }
}
