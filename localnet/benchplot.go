package localnet

import (
	"fmt"
	"image/color"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
)

// WriteBenchPlot writes a PNG of the runs: committed transactions per
// second, averaged over a moving window of five seconds (blocks commit
// every second or so, so single seconds alternate between a block and
// none) (top), and the median submit-to-commit latency of each second's
// commits (bottom), against seconds from the start of each run's load,
// one line per run: a colour per offered rate, solid for Tally and dashed
// for the baseline, and the repeat named when a rate was run more than
// once.
func WriteBenchPlot(path string, runs []*BenchResult) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return fmt.Errorf("plot %s: expected a .png file name", path)
	}
	tps := plot.New()
	tps.Title.Text = "Committed transactions per second (5-second moving average)"
	tps.X.Label.Text = "seconds from the start of the load"
	tps.Y.Label.Text = "tx/s"
	lat := plot.New()
	lat.Title.Text = "Submit to commit latency, median of each second"
	lat.X.Label.Text = "seconds from the start of the load"
	lat.Y.Label.Text = "ms"
	for _, p := range []*plot.Plot{tps, lat} {
		p.Add(plotter.NewGrid())
		p.Legend.Top = true
	}
	colours := map[int]int{}   // offered rate -> colour index, in order of first appearance
	runsOf := map[string]int{} // app@rate -> how many runs it has
	for _, r := range runs {
		if _, ok := colours[r.Rate]; !ok {
			colours[r.Rate] = len(colours)
		}
		runsOf[fmt.Sprintf("%s@%d", r.App, r.Rate)]++
	}
	seen := map[string]int{}
	for _, r := range runs {
		committed := movingAverage(r.Timeline, 5)
		median := make(plotter.XYs, 0, len(r.Timeline))
		for _, s := range r.Timeline {
			if s.Committed > 0 {
				median = append(median, plotter.XY{X: float64(s.Second), Y: float64(s.P50.Milliseconds())})
			}
		}
		key := fmt.Sprintf("%s@%d", r.App, r.Rate)
		seen[key]++
		name := fmt.Sprintf("%s @%d/s", r.App, r.Rate)
		if runsOf[key] > 1 {
			name += fmt.Sprintf(" #%d", seen[key])
		}
		style := lineStyle(colours[r.Rate], r.App)
		if seen[key] > 1 {
			style.Width = vg.Points(0.8) // later repeats thinner
		}
		for _, pl := range []struct {
			p   *plot.Plot
			xys plotter.XYs
		}{{tps, committed}, {lat, median}} {
			if len(pl.xys) == 0 {
				continue
			}
			l, err := plotter.NewLine(pl.xys)
			if err != nil {
				return fmt.Errorf("plot: %w", err)
			}
			l.LineStyle = style
			pl.p.Add(l)
			pl.p.Legend.Add(name, l)
		}
	}
	const width, height = 24 * vg.Centimeter, 24 * vg.Centimeter
	img := vgimg.New(width, height)
	dc := draw.New(img)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Millimeter * 3, PadBottom: vg.Millimeter * 3, PadLeft: vg.Millimeter * 3, PadRight: vg.Millimeter * 3, PadY: vg.Millimeter * 6}
	canvases := plot.Align([][]*plot.Plot{{tps}, {lat}}, tiles, dc)
	tps.Draw(canvases[0][0])
	lat.Draw(canvases[1][0])
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("plot: %w", err)
	}
	if _, err := (vgimg.PngCanvas{Canvas: img}).WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("plot %s: %w", path, err)
	}
	return f.Close()
}

// movingAverage is the committed transactions per second of each second
// of the timeline, averaged over the window of seconds around it (w odd;
// cut at the ends).
func movingAverage(tl []BenchSecond, w int) plotter.XYs {
	out := make(plotter.XYs, 0, len(tl))
	for i := range tl {
		lo, hi := max(0, i-w/2), min(len(tl), i+w/2+1)
		sum := 0
		for _, s := range tl[lo:hi] {
			sum += s.Committed
		}
		out = append(out, plotter.XY{X: float64(tl[i].Second), Y: float64(sum) / float64(hi-lo)})
	}
	return out
}

// lineStyle gives Tally's runs solid lines and the baseline's dashed ones,
// in colour i.
func lineStyle(i int, app string) draw.LineStyle {
	palette := []color.RGBA{
		{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}, {R: 0xff, G: 0x7f, B: 0x0e, A: 0xff},
		{R: 0x2c, G: 0xa0, B: 0x2c, A: 0xff}, {R: 0xd6, G: 0x27, B: 0x28, A: 0xff},
		{R: 0x94, G: 0x67, B: 0xbd, A: 0xff}, {R: 0x8c, G: 0x56, B: 0x4b, A: 0xff},
		{R: 0xe3, G: 0x77, B: 0xc2, A: 0xff}, {R: 0x7f, G: 0x7f, B: 0x7f, A: 0xff},
	}
	s := draw.LineStyle{Color: palette[i%len(palette)], Width: vg.Points(1.5)}
	if app == "kvstore" {
		s.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
	}
	return s
}
