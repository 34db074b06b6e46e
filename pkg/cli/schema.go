package cli

import (
	"fmt"

	"github.com/apkgen/apkgen/schema"
)

func runSchema(e *env, args []string) int {
	fs := flagSet(e, "schema", "schema [--format cue|json]")
	format := fs.String("format", "cue", "cue: the CUE schemas; json: a JSON Schema for editors (yaml-language-server)")
	if code, ok := parse(e, fs, args); !ok {
		return code
	}
	if code, ok := checkFormat(e, fs, *format, "cue", "json"); !ok {
		return code
	}
	switch *format {
	case "json":
		b, err := schema.JSONSchema()
		if err != nil {
			return report(e, err)
		}
		e.stdout.Write(b)
	case "cue":
		for _, name := range schema.Files() {
			b, err := schema.FS.ReadFile(name)
			if err != nil {
				return report(e, err)
			}
			fmt.Fprintf(e.stdout, "// schema/%s\n%s\n", name, b)
		}
	}
	return ExitOK
}
