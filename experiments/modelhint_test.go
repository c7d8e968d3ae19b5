package experiments

import (
	"errors"
	"strings"
	"testing"
)

// gammagamma listed in models gets a hint to use spend_model.
func TestGammaGammaInModelsHintsSpendModel(t *testing.T) {
	for _, name := range []string{"gammagamma", "GammaGamma"} {
		_, err := Load("../configs/quickstart.yaml", []string{"models=[bgnbd," + name + "]"})
		var ce *ConfigError
		if !errors.As(err, &ce) || !strings.Contains(err.Error(), "spend_model: gammagamma") {
			t.Errorf("models with %s: %v, want a hint to set spend_model", name, err)
		}
	}
}
