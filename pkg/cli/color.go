package cli

import (
	"os"

	"github.com/spf13/pflag"
	"golang.org/x/term"

	"github.com/apkgen/apkgen/pkg/apkgen"
)

func colorFlag(fs *pflag.FlagSet) *string {
	return fs.String("color", "auto", "colour the output: auto (on a terminal, unless NO_COLOR is set), always or never")
}

// color decides whether to colour: "auto" colours when stdout is a terminal
// and neither NO_COLOR (https://no-color.org: set and not empty) nor
// TERM=dumb says otherwise; "always" and "never" override both.
func (e *env) color(mode string) (bool, error) {
	switch mode {
	case "always":
		return true, nil
	case "never":
		return false, nil
	case "auto":
	default:
		return false, &apkgen.UsageError{Msg: "--color " + mode + ": want auto, always or never"}
	}
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false, nil
	}
	f, ok := e.stdout.(*os.File)
	return ok && term.IsTerminal(int(f.Fd())), nil
}
