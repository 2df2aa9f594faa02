import Foundation

/// Escapes text for HTML element content and attribute values.
func escapeHTML(_ s: String) -> String {
    var out = ""
    out.reserveCapacity(s.count)
    for c in s {
        switch c {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&#39;"
        default: out.append(c)
        }
    }
    return out
}

/// Number formatting for tables and captions.
func fmt(_ x: Double, _ digits: Int = 4) -> String {
    guard x.isFinite else { return x.isNaN ? "NaN" : (x > 0 ? "∞" : "−∞") }
    return String(format: "%.\(digits)g", x)
}

/// The page being assembled: HTML blocks in order, and the charts and image stacks whose data
/// the page script draws. Chart ids are unique across the page (a pipeline has many sections).
final class ReportPage {
    private(set) var body = ""
    private(set) var charts: [JSONValue] = []
    private(set) var images: [JSONValue] = []
    /// Problems met while reading the run (unreadable files, missing datasets): shown on the page
    /// and returned to `cascade report`, which prints them.
    private(set) var problems: [String] = []
    private var nextID = 0

    /// Plots the page must draw: the self-check compares this with what its script drew.
    var plotCount: Int { charts.count + images.count }

    func html(_ raw: String) { body += raw + "\n" }

    func heading(_ text: String, level: Int = 3, id: String? = nil) {
        let anchor = id.map { " id=\"\(escapeHTML($0))\"" } ?? ""
        html("<h\(level)\(anchor)>\(escapeHTML(text))</h\(level)>")
    }

    func paragraph(_ text: String, className: String? = nil) {
        html("<p\(className.map { " class=\"\($0)\"" } ?? "")>\(escapeHTML(text))</p>")
    }

    func preformatted(_ text: String) { html("<pre>\(escapeHTML(text))</pre>") }

    /// A collapsed block (the job file, file listings).
    func collapsible(_ summary: String, text: String) {
        html("<details><summary>\(escapeHTML(summary))</summary><pre>\(escapeHTML(text))</pre></details>")
    }

    func table(_ headers: [String], _ rows: [[String]]) {
        var s = "<table><thead><tr>" + headers.map { "<th>\(escapeHTML($0))</th>" }.joined() + "</tr></thead><tbody>"
        for row in rows { s += "<tr>" + row.map { "<td>\(escapeHTML($0))</td>" }.joined() + "</tr>" }
        html(s + "</tbody></table>")
    }

    /// A problem shown in a red box and collected for the command line.
    func problem(_ text: String) {
        problems.append(text)
        html("<p class=\"problem\">\(escapeHTML(text))</p>")
    }

    private func newID(_ prefix: String) -> String {
        nextID += 1
        return "\(prefix)\(nextID)"
    }

    /// Adds a chart, or a line saying why there is none when nothing in it can be drawn.
    func chart(_ chart: Chart) {
        guard chart.isDrawable else {
            paragraph("\(chart.title): no finite values to plot yet.", className: "muted")
            return
        }
        let id = newID("chart")
        charts.append(chart.json(id: id))
        var s = "<figure class=\"chart\"><div class=\"plot\" id=\"\(id)\"></div><div class=\"legend\" id=\"\(id)-legend\"></div>"
        if let note = chart.note { s += "<figcaption>\(escapeHTML(note))</figcaption>" }
        html(s + "</figure>")
    }

    /// Adds an image stack: a canvas, a frame slider and a colour bar with values.
    func imageStack(_ stack: ImageStack) {
        guard !stack.frames.isEmpty else { return }
        let id = newID("image")
        images.append(stack.json(id: id))
        let ticks = [-1.0, -0.5, 0, 0.5, 1].map { "<span>\(escapeHTML(fmt($0 * stack.limit, 3)))</span>" }.joined()
        var s = """
            <figure class="images"><div class="image-title">\(escapeHTML(stack.title))</div>
            <div class="image-row"><canvas class="field" id="\(id)" width="\(stack.side)" height="\(stack.side)"></canvas>
            <div class="colorbar"><canvas id="\(id)-bar" width="256" height="14"></canvas><div class="ticks">\(ticks)</div>
            <div class="unit">\(escapeHTML(stack.unit))</div></div></div>
            <label>frame <input type="range" id="\(id)-slider" min="0" max="\(stack.frames.count - 1)" value="\(stack.frames.count - 1)">
            <span id="\(id)-label"></span></label>
            """
        if let note = stack.note { s += "<figcaption>\(escapeHTML(note))</figcaption>" }
        html(s + "</figure>")
    }
}
