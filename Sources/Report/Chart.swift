import Foundation

/// One curve of a ``Chart``: its own x values (series of one chart need not share them).
struct Series: Sendable {
    /// How a curve is drawn.
    enum Style: String, Sendable {
        /// A solid line.
        case line
        /// A dashed line (references, guides and fits).
        case dashed
        /// A histogram drawn as steps.
        case step
        /// Points only, no line (one value per seed).
        case points
    }

    var name: String
    var x: [Double]
    var y: [Double]
    /// One standard deviation per point, for charts with error bars.
    var sigma: [Double]?
    var style: Style

    init(_ name: String, x: [Double], y: [Double], sigma: [Double]? = nil, style: Style = .line) {
        self.name = name
        self.x = x
        self.y = y
        self.sigma = sigma
        self.style = style
    }

    /// Whether any point can be drawn (finite, and positive where an axis is logarithmic).
    func hasDrawablePoint(logX: Bool, logY: Bool) -> Bool {
        zip(x, y).contains { x, y in x.isFinite && y.isFinite && (!logX || x > 0) && (!logY || y > 0) }
    }
}

/// A chart drawn by dygraphs: labelled axes (quantity and unit), optional log scales.
struct Chart: Sendable {
    var title: String
    var xLabel: String
    var yLabel: String
    var logX: Bool
    var logY: Bool
    var series: [Series]
    /// A sentence under the chart (what the guide lines are, over which range a fit was made).
    var note: String?

    init(title: String, x xLabel: String, y yLabel: String, logX: Bool = false, logY: Bool = false,
                series: [Series], note: String? = nil) {
        self.title = title
        self.xLabel = xLabel
        self.yLabel = yLabel
        self.logX = logX
        self.logY = logY
        self.series = series
        self.note = note
    }

    /// Whether the chart has anything to draw; empty charts are left off the page.
    var isDrawable: Bool { series.contains { $0.hasDrawablePoint(logX: logX, logY: logY) } }

    /// dygraphs' native array format: one row per distinct x (sorted), one column per series,
    /// `null` where a series has no point at that x; `[y, σ]` pairs when any series has error bars.
    /// Each series is decimated to ``Decimation/maximumPoints`` first.
    func data() -> (rows: JSONValue, errorBars: Bool) {
        let errorBars = series.contains { $0.sigma != nil }
        var table: [Double: [Int: (Double, Double)]] = [:]
        for (column, s) in series.enumerated() {
            let keep = Decimation.indices(count: min(s.x.count, s.y.count))
            for i in keep where s.x[i].isFinite && (!logX || s.x[i] > 0) {
                let sigma = s.sigma.flatMap { i < $0.count ? $0[i] : nil } ?? 0
                table[s.x[i], default: [:]][column] = (s.y[i], sigma)
            }
        }
        let rows: [JSONValue] = table.keys.sorted().map { x in
            let cells = table[x]!
            var row: [JSONValue] = [.number(x)]
            for column in series.indices {
                if let (y, sigma) = cells[column] {
                    row.append(errorBars ? .array([.number(y), .number(sigma)]) : .number(y))
                } else {
                    row.append(.null)
                }
            }
            return .array(row)
        }
        return (.array(rows), errorBars)
    }

    /// The chart's data and options for the page script (which hands them to `new Dygraph`).
    func json(id: String) -> JSONValue {
        let (rows, errorBars) = data()
        let styles: [(String, JSONValue)] = series.map { s in
            var o: [(String, JSONValue)] = []
            switch s.style {
            case .line: break
            case .dashed: o.append(("strokePattern", .array([.number(7), .number(4)])))
            case .step: o.append(("stepPlot", .bool(true)))
            case .points:
                o.append(("drawPoints", .bool(true)))
                o.append(("strokeWidth", .number(0)))
                o.append(("pointSize", .number(2.5)))
            }
            return (s.name, .object(o))
        }
        return .object([
            ("id", .string(id)),
            ("title", .string(title)),
            ("xlabel", .string(xLabel)),
            ("ylabel", .string(yLabel)),
            ("logx", .bool(logX)),
            ("logy", .bool(logY)),
            ("errorBars", .bool(errorBars)),
            ("labels", .array([.string(xLabel)] + series.map { .string($0.name) })),
            ("series", .object(styles)),
            ("data", rows),
        ])
    }
}

/// Vorticity (or any signed field) frames for a `<canvas>` with a frame slider: each frame a
/// base64 string of one colour-table index per pixel (rows from the top of the picture).
struct ImageStack: Sendable {
    var title: String
    var side: Int
    var frameLabels: [String]
    var frames: [String]
    /// The colour scale runs from −limit to +limit.
    var limit: Double
    var unit: String
    var note: String?

    func json(id: String) -> JSONValue {
        .object([
            ("id", .string(id)),
            ("title", .string(title)),
            ("side", .number(Double(side))),
            ("labels", .array(frameLabels.map { .string($0) })),
            ("frames", .array(frames.map { .string($0) })),
            ("colors", .array(DivergingColorMap.table().map { .string($0) })),
        ])
    }

    /// Builds the stack from `frames` (each `side × side`, row index = y, row 0 at y = 0):
    /// at most `maxFrames` evenly spaced frames, each block-averaged to at most `maxSide` pixels a
    /// side, on one colour scale symmetric about 0 whose limit is the largest |value| shown.
    static func make(title: String, frames source: [[Double]], side: Int, labels: [String], unit: String,
                     maxSide: Int = 256, note: String? = nil) -> ImageStack {
        let factor = Decimation.blockFactor(side: side, limit: maxSide)
        var reduced: [[Double]] = []
        var outSide = side
        for frame in source {
            let r = Decimation.blockAverage(frame, side: side, factor: factor)
            reduced.append(r.values)
            outSide = r.side
        }
        let limit = reduced.joined().reduce(0.0) { $1.isFinite ? max($0, abs($1)) : $0 }
        let encoded: [String] = reduced.map { values in
            var bytes = [UInt8](repeating: 0, count: outSide * outSide)
            // Picture rows from the top: y grows upwards, as in the simulation's coordinates.
            for y in 0 ..< outSide {
                for x in 0 ..< outSide {
                    bytes[(outSide - 1 - y) * outSide + x] = DivergingColorMap.index(of: values[y * outSide + x], limit: limit)
                }
            }
            return Data(bytes).base64EncodedString()
        }
        return ImageStack(title: title, side: outSide, frameLabels: labels, frames: encoded, limit: limit,
                          unit: unit, note: note)
    }
}
