package experiments

import (
	"errors"
	"slices"
	"strings"
	"testing"
)

// Model names in a config are taken in any case, as on the command line,
// and normalized (the same hash as the lower-case spelling); an unknown
// name is quoted as written; gammagamma in any case keeps its hint.
func TestConfigModelNamesAnyCase(t *testing.T) {
	base, err := Load(writeConfig(t, "c.yaml", configYAML(map[string]string{"models": "models: [bgnbd, paretonbd]"})), nil)
	if err != nil {
		t.Fatal(err)
	}
	c, err := Load(writeConfig(t, "c.yaml", configYAML(map[string]string{"models": "models: [BGNBD, ParetoNBD]"})), nil)
	if err != nil {
		t.Fatalf("models: [BGNBD, ParetoNBD]: %v", err)
	}
	if !slices.Equal(c.Models, []string{"bgnbd", "paretonbd"}) || c.Hash() != base.Hash() {
		t.Errorf("models %v, hash %s; want [bgnbd paretonbd] and %s", c.Models, c.Hash(), base.Hash())
	}
	if c, err := Load(writeConfig(t, "c.yaml", configYAML(nil)), []string{"models=[BGNBD,MBGNBD]"}); err != nil || !slices.Equal(c.Models, []string{"bgnbd", "mbgnbd"}) {
		t.Errorf("--set models=[BGNBD,MBGNBD]: %v, %v", c, err)
	}
	_, err = Load(writeConfig(t, "c.yaml", configYAML(map[string]string{"models": "models: [BGNDB]"})), nil)
	var ce *ConfigError
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), `"BGNDB" is not a known model`) {
		t.Errorf("models: [BGNDB]: %v", err)
	}
	_, err = Load(writeConfig(t, "c.yaml", configYAML(map[string]string{"models": "models: [bgnbd, GAMMAGAMMA]"})), nil)
	if !errors.As(err, &ce) || !strings.Contains(err.Error(), "spend_model: gammagamma") {
		t.Errorf("models with GAMMAGAMMA: %v, want the spend_model hint", err)
	}
}
