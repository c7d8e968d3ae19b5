package experiments

import (
	"slices"
	"strings"
)

// cfgModelNames returns the models list with every name clv knows
// written in lower case, as the command line's --model takes it (BGNBD,
// ParetoNBD). Names it does not know are kept as written, so the message
// that refuses them quotes the user's spelling. gammagamma, bgbb and sbg
// are normalized too: their own messages (the spend model, a discrete or
// a contractual model) say where they belong.
func cfgModelNames(names []string) []string {
	if names == nil {
		return nil
	}
	out := make([]string, len(names))
	for i, n := range names {
		out[i] = n
		canon := strings.ToLower(strings.TrimSpace(n))
		if slices.Contains(cfgRunModels, canon) || slices.Contains(cfgSurvivalModels, canon) || canon == "gammagamma" || canon == "bgbb" {
			out[i] = canon
		}
	}
	return out
}
