/// The HTML around a report's content: the inlined dygraphs library and stylesheet, the page's
/// own style, the data, and the script that draws every chart and image and records in
/// `#report-status` whether each one drew and any script error (what a headless browser's
/// `--dump-dom` shows, and what Tests/e2e/check_report.py asserts on).
enum PageTemplate {
    static func render(title: String, page: ReportPage) -> String {
        let data = JSONValue.object([("charts", .array(page.charts)), ("images", .array(page.images))]).encoded()
        return """
            <!DOCTYPE html>
            <html lang="en"><head><meta charset="utf-8">
            <meta name="generator" content="cascade report (dygraphs \(DygraphsBundle.version) inlined)">
            <title>\(escapeHTML(title))</title>
            <style>\(DygraphsBundle.stylesheet)</style>
            <style>\(style)</style>
            <script>\(errorTrap)</script>
            <script>\(DygraphsBundle.script)</script>
            </head><body>
            <div id="report-status" data-plots="\(page.plotCount)" data-drawn="0" data-errors="0" data-done="0">plots: \(page.plotCount), drawn: 0 (script not run)</div>
            \(page.body)
            <script type="application/json" id="report-data">\(data)</script>
            <script>\(drawScript)</script>
            </body></html>

            """
    }

    /// Runs before the library: any error from here on (the library, the data, drawing) is counted.
    static let errorTrap = """
        window.reportErrors = [];
        window.addEventListener('error', function (e) { window.reportErrors.push(String(e.message || e)); });
        """

    static let style = """
        body{font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;margin:0 auto;max-width:1180px;padding:0 18px 40px;color:#222}
        h1{font-size:22px;margin:18px 0 6px}h2{font-size:19px;border-bottom:1px solid #ccc;margin-top:28px}h3{font-size:16px;margin:18px 0 6px}
        table{border-collapse:collapse;margin:6px 0}td,th{border:1px solid #ddd;padding:3px 8px;text-align:left;vertical-align:top}th{background:#f3f3f3}
        pre{background:#f7f7f7;padding:8px;overflow-x:auto;font-size:12px}details summary{cursor:pointer;color:#235}
        .status-completed{background:#1b7f3b;color:#fff}.status-failed{background:#b3261e;color:#fff}.status-running{background:#a66b00;color:#fff}
        .status-interrupted{background:#6a3fa0;color:#fff}.status-pending,.status-skipped{background:#777;color:#fff}.badge{padding:1px 8px;border-radius:9px;font-weight:600}
        .problem{background:#fde7e6;border-left:4px solid #b3261e;padding:6px 10px}.notice{background:#fff4dd;border-left:4px solid #a66b00;padding:6px 10px}.muted{color:#777}
        .grid{display:flex;flex-wrap:wrap;gap:10px 24px}figure.chart{margin:8px 0;width:560px}.plot{width:560px;height:320px}.legend{font-size:12px;min-height:18px}
        figcaption{font-size:12px;color:#555}figure.images{margin:10px 0}.image-row{display:flex;gap:16px;align-items:flex-start}
        figure.images canvas.field{width:420px;height:420px;image-rendering:pixelated;border:1px solid #ccc}figure.images .colorbar canvas{width:256px;height:14px;border:1px solid #ccc}
        .ticks{display:flex;justify-content:space-between;width:258px;font-size:11px}.unit{font-size:12px;color:#555}
        #report-status{font-size:11px;color:#777;text-align:right}
        """

    static let drawScript = """
        (function () {
          var status = document.getElementById('report-status');
          var plots = Number(status.getAttribute('data-plots')), drawn = 0;
          function update(done) {
            var errors = window.reportErrors;
            status.setAttribute('data-drawn', String(drawn));
            status.setAttribute('data-errors', String(errors.length));
            if (done) status.setAttribute('data-done', '1');
            status.textContent = 'plots: ' + plots + ', drawn: ' + drawn + ', script errors: ' + errors.length +
              (errors.length ? ' (' + errors.join(' | ') + ')' : '');
          }
          function fail(what, e) { window.reportErrors.push(what + ': ' + (e && e.message ? e.message : String(e))); }
          // Tick values come from dygraphs' tickers; this only writes each one compactly.
          function number(v) {
            var a = Math.abs(v);
            return (a !== 0 && (a >= 1e5 || a < 1e-3)) ? v.toExponential(1) : String(Number(v.toPrecision(4)));
          }
          function esc(s) { return String(s).replace(/[&<>"']/g, function (c) { return '&#' + c.charCodeAt(0) + ';'; }); }
          var data;
          try { data = JSON.parse(document.getElementById('report-data').textContent); }
          catch (e) { fail('report data', e); update(true); return; }
          data.charts.forEach(function (c) {
            try {
              var counted = false;
              new Dygraph(document.getElementById(c.id), c.data, {
                labels: c.labels.map(esc), title: esc(c.title), xlabel: esc(c.xlabel), ylabel: esc(c.ylabel),
                logscale: c.logy, errorBars: c.errorBars, sigma: 1,
                axes: { x: { logscale: c.logx, axisLabelFormatter: number, pixelsPerLabel: 50 },
                        y: { axisLabelFormatter: number, axisLabelWidth: 58, pixelsPerLabel: 26 } },
                series: (function () { var s = {}; Object.keys(c.series).forEach(function (k) { s[esc(k)] = c.series[k]; }); return s; })(),
                connectSeparatedPoints: true, xRangePad: c.logx ? 0 : 6, yRangePad: 6, labelsDiv: c.id + '-legend', legend: 'always', labelsKMB: false,
                drawCallback: function (g) {
                  // A log axis whose range is not positive draws nothing (dygraphs pads in linear units): an error, not a plot.
                  var xr = g.xAxisRange();
                  if (!counted && c.logx && !(xr[0] > 0)) { counted = true; fail(c.id, 'log x axis range ' + xr.join(' to ') + ' is not positive'); update(false); return; }
                  if (!counted && g.numRows() > 0) { counted = true; drawn += 1; update(false); }
                }
              });
            } catch (e) { fail(c.id, e); }
          });
          data.images.forEach(function (im) {
            try {
              var canvas = document.getElementById(im.id), ctx = canvas.getContext('2d');
              var lut = im.colors.map(function (h) { return [parseInt(h.substr(1, 2), 16), parseInt(h.substr(3, 2), 16), parseInt(h.substr(5, 2), 16)]; });
              var pixels = ctx.createImageData(im.side, im.side), slider = document.getElementById(im.id + '-slider');
              var label = document.getElementById(im.id + '-label');
              var show = function (k) {
                var bytes = atob(im.frames[k]), d = pixels.data;
                for (var i = 0; i < bytes.length; i++) {
                  var c = lut[bytes.charCodeAt(i)] || [128, 128, 128];
                  d[4 * i] = c[0]; d[4 * i + 1] = c[1]; d[4 * i + 2] = c[2]; d[4 * i + 3] = 255;
                }
                ctx.putImageData(pixels, 0, 0);
                label.textContent = im.labels[k] || '';
              };
              slider.addEventListener('input', function () { show(Number(slider.value)); });
              show(im.frames.length - 1);
              var bar = document.getElementById(im.id + '-bar').getContext('2d');
              for (var x = 0; x < 256; x++) {
                var c = lut[Math.round(x * (lut.length - 1) / 255)];
                bar.fillStyle = 'rgb(' + c[0] + ',' + c[1] + ',' + c[2] + ')'; bar.fillRect(x, 0, 1, 14);
              }
              // Drawn means opaque pixels on the canvas, not merely that the code ran.
              var check = ctx.getImageData(0, 0, im.side, im.side).data, opaque = 0;
              for (var j = 3; j < check.length; j += 4) { if (check[j] === 255) opaque++; }
              if (opaque === im.side * im.side) { drawn += 1; } else { fail(im.id, 'canvas not fully drawn'); }
            } catch (e) { fail(im.id, e); }
          });
          update(true);
        })();
        """
}
