import Foundation

extension CheckpointSummary {
    /// The human-readable report of `toonkit inspect`: header, architecture, one layer tree per network
    /// with subtotals, per-resolution and per-dtype totals, training state and the provenance log.
    public func text() -> String {
        var lines: [String] = []
        lines.append("\(path): toonkit checkpoint \(formatVersion), created by \(createdBy) at \(createdAt)")
        lines.append("architecture: \(Self.describe(architecture))")
        lines.append("total: \(networkOrder.count) networks, \(Format.totals(totals))")
        for name in networkOrder {
            guard let network = networks[name] else { continue }
            lines.append("")
            lines.append("network \(name): \(Format.totals(network.totals))")
            lines += Self.treeLines(network.tree, tensors: network.tensors)
            lines.append("  by resolution: " + network.resolutions.map { "\($0.name): \(Format.count($0.totals.numel))" }.joined(separator: ", "))
            lines.append("  by dtype: " + network.dtypes.map { "\($0.name) \(Format.count($0.totals.numel)) (\(Format.bytes($0.totals.bytes)))" }.joined(separator: ", "))
        }
        if let training {
            let scalars = training.scalars.keys.sorted().map { "\($0)=\(training.scalars[$0]!.serialized())" }.joined(separator: " ")
            lines.append("")
            lines.append("training state: \(scalars.isEmpty ? "no scalars" : scalars); \(training.tensors) tensors (\(Format.bytes(training.bytes)))\(training.hasState ? "; JSON state" : "")")
        }
        if !extra.isEmpty { lines.append("extra metadata: \(extra.joined(separator: ", "))") }
        lines.append("")
        lines.append("provenance (\(provenance.count) records):")
        lines += provenance.map(Self.describe)
        return lines.joined(separator: "\n") + "\n"
    }

    /// The document's fields as `key value`, `kind` first, in key order.
    static func describe(_ architecture: JSONValue) -> String {
        guard case .object(let fields) = architecture else { return architecture.serialized() }
        let keys = (fields["kind"] == nil ? [] : ["kind"]) + fields.keys.sorted().filter { $0 != "kind" }
        return keys.map { "\($0) \(fields[$0]!.serialized())" }.joined(separator: ", ")
    }

    static func describe(_ record: ProvenanceRecord) -> String {
        var text = "  \(record.time)  \(record.operation)  (\(record.toolVersion))"
        if !record.parameters.isEmpty { text += "  \(JSONValue.object(record.parameters).serialized())" }
        for input in record.inputs { text += "\n      input \(input.path) sha256 \(input.sha256.prefix(16))…" }
        if let note = record.note, !note.isEmpty { text += "\n      note: \(note)" }
        return text
    }

    private static func treeLines(_ nodes: [LayerNode], tensors: [TensorSummary]) -> [String] {
        let byName = Dictionary(tensors.map { ($0.name, $0) }, uniquingKeysWith: { first, _ in first })
        var rows: [(label: String, detail: String)] = []
        func visit(_ node: LayerNode, depth: Int) {
            let label = String(repeating: "  ", count: depth + 1) + node.name
            if let tensor = byName[node.path], node.children.isEmpty {
                let shape = "[" + tensor.shape.map(String.init).joined(separator: ", ") + "]"
                let frozen = tensor.kind == .parameter && !tensor.trainable ? " frozen" : ""
                rows.append((label, "\(shape.padded(to: 18)) \(tensor.dtype.rawValue.padded(to: 8)) \((tensor.kind.rawValue + frozen).padded(to: 16)) \(Format.count(tensor.numel).leftPadded(to: 12)) \(Format.bytes(tensor.bytes).leftPadded(to: 10))"))
            } else {
                rows.append((label, "\("".padded(to: 44)) \(Format.count(node.totals.numel).leftPadded(to: 12)) \(Format.bytes(node.totals.bytes).leftPadded(to: 10))"))
            }
            node.children.forEach { visit($0, depth: depth + 1) }
        }
        nodes.forEach { visit($0, depth: 0) }
        let width = min(56, rows.map(\.label.count).max() ?? 0)
        return rows.map { "\($0.label.padded(to: width)) \($0.detail)" }
    }
}

enum Format {
    /// 1234567 → "1,234,567".
    static func count(_ value: Int) -> String {
        let digits = Array(String(value.magnitude))
        var text = ""
        for (index, digit) in digits.enumerated() {
            if index > 0 && (digits.count - index) % 3 == 0 { text.append(",") }
            text.append(digit)
        }
        return (value < 0 ? "-" : "") + text
    }

    static func bytes(_ value: Int) -> String {
        let units = ["B", "KiB", "MiB", "GiB", "TiB"]
        var amount = Double(value)
        var unit = 0
        while amount >= 1024 && unit < units.count - 1 {
            amount /= 1024
            unit += 1
        }
        return unit == 0 ? "\(value) B" : String(format: "%.1f", amount) + " " + units[unit]
    }

    static func totals(_ totals: Totals) -> String {
        "\(count(totals.tensors)) tensors, \(count(totals.parameters)) parameters (\(count(totals.trainableParameters)) trainable), \(count(totals.buffers)) buffer values, \(bytes(totals.bytes))"
    }
}

extension String {
    func padded(to length: Int) -> String {
        count >= length ? self : self + String(repeating: " ", count: length - count)
    }

    func leftPadded(to length: Int) -> String {
        count >= length ? self : String(repeating: " ", count: length - count) + self
    }
}
