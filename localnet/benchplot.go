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
// second (top) and the median submit-to-commit latency of each second's
// commits (bottom), against seconds from the start of each run's load, one
// line per run.
func WriteBenchPlot(path string, runs []*BenchResult) error {
	if !strings.EqualFold(filepath.Ext(path), ".png") {
		return fmt.Errorf("plot %s: expected a .png file name", path)
	}
	tps := plot.New()
	tps.Title.Text = "Committed transactions per second"
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
	for i, r := range runs {
		committed := make(plotter.XYs, 0, len(r.Timeline))
		median := make(plotter.XYs, 0, len(r.Timeline))
		for _, s := range r.Timeline {
			committed = append(committed, plotter.XY{X: float64(s.Second), Y: float64(s.Committed)})
			if s.Committed > 0 {
				median = append(median, plotter.XY{X: float64(s.Second), Y: float64(s.P50.Milliseconds())})
			}
		}
		name := fmt.Sprintf("%s @%d/s", r.App, r.Rate)
		style := lineStyle(i, r.App)
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

// lineStyle gives Tally's runs solid lines and the baseline's dashed ones,
// in a colour per run.
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
