import Foundation
import Parallel

/// Builds an XDMF (.xmf) sidecar so ParaView and VisIt can open fields stored in HDF5.
///
/// Pure value code: it never touches HDF5, it only writes XML that points at
/// `file.h5:/dataset` paths. Describe a 2D or 3D uniform grid, add fields stored once
/// (``addField(_:file:dataset:elementType:)``) and time series stored as extendible
/// datasets of shape `frames × grid` (``addTimeSeries(_:file:dataset:elementType:frames:)``)
/// with their times (``times``); with times the output is a temporal collection of one
/// grid per frame, each selecting its frame with a HyperSlab.
///
/// Axes are listed slowest first, as the datasets store them: `[ny, nx]` or `[nz, ny, nx]`.
public struct XDMFWriter: Equatable, Sendable {
    /// A field: one HDF5 dataset shown as a scalar on the grid's points.
    public struct Field: Equatable, Sendable {
        /// The name ParaView shows.
        public var name: String
        /// The HDF5 file as seen from the .xmf file (usually just its file name).
        public var file: String
        /// The dataset path inside the HDF5 file.
        public var dataset: String
        /// The dataset's element type.
        public var elementType: H5ElementType
        /// For time series, how many frames the dataset holds; `nil` for fields stored once.
        public var frames: Int?
    }

    /// Points per axis, slowest first.
    public let dimensions: [Int]
    /// Coordinates of the first point, slowest axis first.
    public let origin: [Double]
    /// Distance between neighbouring points per axis, slowest axis first.
    public let spacing: [Double]
    /// Fields stored once, shown at every time.
    public private(set) var fields: [Field] = []
    /// Time series, frame `i` shown at `times[i]`.
    public private(set) var series: [Field] = []
    /// The time of each frame; empty for a single, static grid.
    public var times: [Double] = []

    /// Describes a uniform grid of `dimensions` points (2 or 3 axes, slowest first).
    public init(dimensions: [Int], origin: [Double]? = nil, spacing: [Double]) throws {
        let origin = origin ?? [Double](repeating: 0, count: dimensions.count)
        guard dimensions.count == 2 || dimensions.count == 3 else {
            throw StorageError(file: "XDMF", "the grid needs 2 or 3 axes, got dimensions \(dimensions)")
        }
        guard dimensions.allSatisfy({ $0 >= 1 }) else {
            throw StorageError(file: "XDMF", "grid dimensions \(dimensions) must be positive")
        }
        guard origin.count == dimensions.count, spacing.count == dimensions.count else {
            throw StorageError(file: "XDMF", "origin \(origin) and spacing \(spacing) need one entry per axis of \(dimensions)")
        }
        self.dimensions = dimensions
        self.origin = origin
        self.spacing = spacing
    }

    /// Adds a field stored once as a dataset of the grid's shape.
    public mutating func addField(_ name: String, file: String, dataset: String, elementType: H5ElementType = .float64) {
        fields.append(Field(name: name, file: file, dataset: dataset, elementType: elementType, frames: nil))
    }

    /// Adds a time series stored as a dataset of shape `[frames] + dimensions`; frame `i` is
    /// shown at `times[i]`. `frames` defaults to `times.count` at the time ``xml()`` runs.
    public mutating func addTimeSeries(_ name: String, file: String, dataset: String,
                                       elementType: H5ElementType = .float64, frames: Int? = nil) {
        series.append(Field(name: name, file: file, dataset: dataset, elementType: elementType, frames: frames))
    }

    /// The XDMF document.
    public func xml() throws -> String {
        for field in series where (field.frames ?? times.count) < times.count {
            throw StorageError(file: field.file, object: field.dataset,
                               "time series \(field.name) has \(field.frames!) frames but \(times.count) times")
        }
        for field in fields + series {
            if case .other(let name) = field.elementType {
                throw StorageError(file: field.file, object: field.dataset, "XDMF cannot describe \(name) elements")
            }
        }
        if !series.isEmpty && times.isEmpty {
            throw StorageError(file: "XDMF", "time series need times; set `times` to one time per frame")
        }
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<Xdmf Version=\"3.0\">\n  <Domain>\n"
        if times.isEmpty {
            out += grid(name: "grid", time: nil, frame: nil, indent: "    ")
        } else {
            out += "    <Grid Name=\"series\" GridType=\"Collection\" CollectionType=\"Temporal\">\n"
            for (frame, time) in times.enumerated() {
                out += grid(name: "frame \(frame)", time: time, frame: frame, indent: "      ")
            }
            out += "    </Grid>\n"
        }
        out += "  </Domain>\n</Xdmf>\n"
        return out
    }

    /// Writes the document to `path` atomically (a temporary sibling, then a rename).
    public func write(to path: String) throws {
        let text = try xml()
        let temp = PathLimits.temporarySibling(of: path, tag: "\(getpid())-\(UInt32.random(in: 0 ... .max))")
        do {
            try Data(text.utf8).write(to: URL(fileURLWithPath: temp))
        } catch {
            throw StorageError(file: path, "cannot write the XDMF file: \(error)")
        }
        if rename(temp, path) != 0 {
            let reason = String(cString: strerror(errno))
            unlink(temp)
            throw StorageError(file: path, "cannot rename \(temp) onto the XDMF file: \(reason)")
        }
    }

    /// Writes the document on rank 0 only; every rank returns or throws the same. Collective.
    public func write(to path: String, communicator: Communicator) throws {
        try communicator.rootDecides(file: path) { () throws -> Void in try write(to: path) }
    }

    // MARK: Pieces

    private var dimensionText: String { dimensions.map(String.init).joined(separator: " ") }

    private func grid(name: String, time: Double?, frame: Int?, indent: String) -> String {
        let n = dimensions.count
        // A 2D grid is written as a 3D one a single point thick (`1 ny nx`): ParaView 5.11
        // puts a 2DCoRectMesh in the y–z plane (x = 0, nothing in the default view) and
        // prints HDF5 "Can't Write Temp Dataset" errors for it; `1 ny nx` lands in x–y.
        let (meshDims, meshOrigin, meshSpacing) = n == 2
            ? ([1] + dimensions, [0] + origin, [1] + spacing)
            : (dimensions, origin, spacing)
        var out = "\(indent)<Grid Name=\"\(escaped(name))\" GridType=\"Uniform\">\n"
        if let time { out += "\(indent)  <Time Value=\"\(time)\"/>\n" }
        out += "\(indent)  <Topology TopologyType=\"3DCoRectMesh\" Dimensions=\"\(meshDims.map(String.init).joined(separator: " "))\"/>\n"
        out += "\(indent)  <Geometry GeometryType=\"ORIGIN_DXDYDZ\">\n"
        out += "\(indent)    <DataItem Name=\"Origin\" Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">"
            + meshOrigin.map { "\($0)" }.joined(separator: " ") + "</DataItem>\n"
        out += "\(indent)    <DataItem Name=\"Spacing\" Dimensions=\"3\" NumberType=\"Float\" Precision=\"8\" Format=\"XML\">"
            + meshSpacing.map { "\($0)" }.joined(separator: " ") + "</DataItem>\n"
        out += "\(indent)  </Geometry>\n"
        for field in fields {
            out += attribute(field, indent: indent + "  ") { inner in
                // The mesh's dimensions (`1 ny nx` for 2D): ParaView cannot read the field otherwise.
                "\(inner)<DataItem Dimensions=\"\(meshDims.map(String.init).joined(separator: " "))\" \(numberType(field.elementType)) Format=\"HDF\">"
                    + "\(escaped(field.file)):\(escaped(field.dataset))</DataItem>\n"
            }
        }
        if let frame {
            for field in series {
                let frames = field.frames ?? times.count
                out += attribute(field, indent: indent + "  ") { inner in
                    // Select frame `frame` of the frames × grid dataset: start, stride, count.
                    let start = ([frame] + [Int](repeating: 0, count: n)).map(String.init).joined(separator: " ")
                    let stride = [Int](repeating: 1, count: n + 1).map(String.init).joined(separator: " ")
                    let count = "1 " + dimensionText
                    return "\(inner)<DataItem ItemType=\"HyperSlab\" Dimensions=\"\(count)\" Type=\"HyperSlab\">\n"
                        + "\(inner)  <DataItem Dimensions=\"3 \(n + 1)\" Format=\"XML\">\(start) \(stride) \(count)</DataItem>\n"
                        + "\(inner)  <DataItem Dimensions=\"\(frames) \(dimensionText)\" \(numberType(field.elementType)) Format=\"HDF\">"
                        + "\(escaped(field.file)):\(escaped(field.dataset))</DataItem>\n"
                        + "\(inner)</DataItem>\n"
                }
            }
        }
        out += "\(indent)</Grid>\n"
        return out
    }

    private func attribute(_ field: Field, indent: String, _ item: (String) -> String) -> String {
        "\(indent)<Attribute Name=\"\(escaped(field.name))\" AttributeType=\"Scalar\" Center=\"Node\">\n"
            + item(indent + "  ") + "\(indent)</Attribute>\n"
    }

    private func numberType(_ type: H5ElementType) -> String {
        switch type {
        case .float64: return "NumberType=\"Float\" Precision=\"8\""
        case .float32: return "NumberType=\"Float\" Precision=\"4\""
        case .int64: return "NumberType=\"Int\" Precision=\"8\""
        case .int32: return "NumberType=\"Int\" Precision=\"4\""
        case .other: return ""  // rejected by xml() before any text is made
        }
    }

    private func escaped(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}
