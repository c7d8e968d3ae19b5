package report

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/clv-dev/clv/datasets"
	"github.com/clv-dev/clv/experiments"
	"github.com/clv-dev/clv/experiments/plot"
)

// embeddedPrefix marks embedded data in DataFacts.File ("embedded:quickstart").
const embeddedPrefix = "embedded:"

// dataSource says where a run's data came from, for the report's data
// section, and for simulated data the clv simulate command that redraws
// them byte for byte. For the embedded quickstart log (recognised by name
// and checksum) it names the generator and every parameter, from
// datasets.QuickstartSimulation itself, so that no one reads a model's
// score on simulated data as a finding about real customers.
func dataSource(d experiments.DataFacts) (text, command string) {
	name, embedded := strings.CutPrefix(d.File, embeddedPrefix)
	if !embedded {
		return "the file " + d.File + " (data.path, as written in the config); the SHA-256 below identifies the bytes read.", ""
	}
	if name == "quickstart" {
		if raw, err := datasets.Embedded(name); err == nil {
			if sum := sha256.Sum256(raw); hex.EncodeToString(sum[:]) == d.SHA256 {
				return describeSimulation(datasets.QuickstartSimulation)
			}
		}
	}
	return "the data set " + name + " built into clv.", ""
}

// describeSimulation describes a simulated log (model, parameters, spend,
// acquisition and observation windows, seed) and returns the command that
// redraws it byte for byte.
func describeSimulation(c datasets.SimulationConfig) (text, command string) {
	spend := "no amounts"
	if c.Spend != nil {
		spend = "Gamma-Gamma spend (" + params(c.Spend, " = ", ", ") + ")"
	}
	cmd := fmt.Sprintf("clv simulate --model %s --params %s", c.Model, params(c.Params, "=", ","))
	if c.Spend != nil {
		cmd += " --spend " + params(c.Spend, "=", ",")
	}
	cmd += fmt.Sprintf(" --customers %d --start %s --acquisition-days %s --end %s --unit %s --seed %d",
		c.Customers, c.Start.Format("2006-01-02"), num(c.AcquisitionDays), c.End.Format("2006-01-02"), c.Unit, c.Seed)
	return fmt.Sprintf("simulated, not real customers: %d customers drawn from the %s model (%s, rates per %s) with %s, "+
		"first purchases spread over the %s days from %s, observed through %s, seed %d. "+
		"Scores here measure how well each model recovers data drawn from the %s, not how it fares on real customers.",
		c.Customers, plot.Label(c.Model), params(c.Params, " = ", ", "), c.Unit, spend,
		num(c.AcquisitionDays), c.Start.Format("2006-01-02"), c.End.Format("2006-01-02"), c.Seed,
		plot.Label(c.Model)), cmd
}

// paramOrder is the order the papers list parameters in.
var paramOrder = []string{"r", "alpha", "a", "b", "s", "beta", "p", "q", "gamma"}

// params writes name=value pairs in the papers' order (see paperOrder).
func params(m map[string]float64, eq, sep string) string {
	names := make([]string, 0, len(m))
	for k := range m {
		names = append(names, k)
	}
	parts := make([]string, len(names))
	for i, k := range paperOrder(names) {
		parts[i] = k + eq + num(m[k])
	}
	return strings.Join(parts, sep)
}

// paperOrder sorts parameter names in the order the papers list them (r,
// alpha, a, b; r, alpha, s, beta; p, q, gamma), others after, sorted.
func paperOrder(names []string) []string {
	rank := func(n string) int {
		if i := slices.Index(paramOrder, n); i >= 0 {
			return i
		}
		return len(paramOrder)
	}
	slices.SortFunc(names, func(x, y string) int {
		if c := rank(x) - rank(y); c != 0 {
			return c
		}
		return strings.Compare(x, y)
	})
	return names
}

func num(v float64) string { return strconv.FormatFloat(v, 'g', -1, 64) }
