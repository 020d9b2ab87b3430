import Foundation

/// Initializer tensors and node attributes in ONNX's protobuf form.
enum ONNXTensors {
    /// A float32 tensor stored as little-endian raw data.
    static func float(_ name: String, _ shape: [Int], _ values: [Float]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
        t.rawData = values.map { $0.bitPattern.littleEndian }.withUnsafeBytes { Data($0) }
        return t
    }

    /// An int64 tensor (shapes, pads, indices).
    static func int64(_ name: String, _ shape: [Int], _ values: [Int]) -> Onnx_TensorProto {
        var t = Onnx_TensorProto()
        t.name = name
        t.dims = shape.map(Int64.init)
        t.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
        t.int64Data = values.map(Int64.init)
        return t
    }
}

/// An integer attribute.
func attr(_ name: String, _ v: Int) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name; a.type = .int; a.i = Int64(v)
    return a
}

/// A list-of-integers attribute.
func attr(_ name: String, _ v: [Int]) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name; a.type = .ints; a.ints = v.map(Int64.init)
    return a
}

/// A float attribute.
func attr(_ name: String, _ v: Float) -> Onnx_AttributeProto {
    var a = Onnx_AttributeProto()
    a.name = name; a.type = .float; a.f = v
    return a
}
