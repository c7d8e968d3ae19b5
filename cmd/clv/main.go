// Command clv predicts customer lifetime value and runs reproducible,
// config-driven experiments that fit, backtest and compare CLV models.
//
// Run `clv --help` for the commands.
package main

import (
	"os"
)

func main() {
	os.Exit(execute(os.Args[1:], os.Stdin, os.Stdout, os.Stderr))
}
