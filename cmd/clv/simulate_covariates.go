package main

import (
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/cobra"

	"github.com/clv-dev/clv/datasets"
)

// covariateSimFlags are clv simulate's flags for customers with static
// covariates.
type covariateSimFlags struct {
	path, purchase, dropout, binary string
}

func (f *covariateSimFlags) register(c *cobra.Command) {
	fl := c.Flags()
	fl.StringVar(&f.path, "covariates", "", "also draw static covariates (bgnbd, mbgnbd) and write them to this CSV (customer_id and one column per covariate)")
	fl.StringVar(&f.purchase, "purchase-coefficients", "", "with --covariates: purchase coefficients γ_P as name=value pairs (alpha_i = alpha·exp(−γ_P'z))")
	fl.StringVar(&f.dropout, "dropout-coefficients", "", "with --covariates: dropout coefficients γ_D as name=value pairs (a_i, b_i = a, b·exp(γ_D'z)); a covariate missing here or from --purchase-coefficients has 0")
	fl.StringVar(&f.binary, "binary", "", "with --covariates: comma-separated covariates drawn 0/1 and written as the levels no/yes (the others are standard normal)")
}

// simulate draws the log and covariates and writes both.
func (f *covariateSimFlags) simulate(s streams, cfg datasets.SimulationConfig, out string) error {
	if f.path == "" {
		return usageErrf("--purchase-coefficients, --dropout-coefficients and --binary go with --covariates FILE")
	}
	if out == "" || out == "-" {
		return usageErrf("--covariates writes a second file: give the log's file with --out")
	}
	coef := map[string][2]float64{}
	for k, spec := range []struct{ flag, value string }{{"purchase-coefficients", f.purchase}, {"dropout-coefficients", f.dropout}} {
		if strings.TrimSpace(spec.value) == "" {
			continue
		}
		p, err := parseCoefficients(spec.flag, spec.value)
		if err != nil {
			return err
		}
		for n, v := range p {
			c := coef[n]
			c[k] = v
			coef[n] = c
		}
	}
	if len(coef) == 0 {
		return usageErrf("--covariates needs coefficients: --purchase-coefficients and/or --dropout-coefficients, e.g. vip=0.5,score=-0.3")
	}
	var binary, names []string
	for _, n := range strings.Split(f.binary, ",") {
		if n = strings.TrimSpace(n); n == "" {
			continue
		}
		if _, ok := coef[n]; !ok {
			return usageErrf("--binary %s: no coefficient names %s", f.binary, n)
		}
		binary = append(binary, n)
	}
	for n := range coef {
		if !slices.Contains(binary, n) {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	names = append(binary, names...)
	lc := datasets.CovariateLogConfig{Log: cfg, Names: names, Binary: len(binary)}
	for _, n := range names {
		lc.GammaPurchase, lc.GammaDropout = append(lc.GammaPurchase, coef[n][0]), append(lc.GammaDropout, coef[n][1])
	}
	sim, z, err := datasets.SimulateCovariateLog(lc)
	if err != nil {
		return usageErr(err)
	}
	if err := writeOutput(out, s.out, func(w io.Writer) error { return sim.WriteCSV(w) }); err != nil {
		return err
	}
	return writeOutput(f.path, s.out, func(w io.Writer) error { return datasets.WriteCovariatesCSV(w, sim, names, z, len(binary)) })
}

// parseCoefficients reads "name=value,...", values of any sign.
func parseCoefficients(flag, s string) (map[string]float64, error) {
	out := map[string]float64{}
	for _, kv := range strings.Split(s, ",") {
		name, val, ok := strings.Cut(strings.TrimSpace(kv), "=")
		var v float64
		if _, err := fmt.Sscan(val, &v); !ok || err != nil || strings.TrimSpace(name) == "" || strings.ContainsAny(name, ".=") {
			return nil, usageErrf("--%s %q: write name=value pairs such as vip=0.5,score=-0.3 (names without '.')", flag, kv)
		}
		out[strings.TrimSpace(name)] = v
	}
	return out, nil
}
