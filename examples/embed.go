// Package examples embeds the example environments files: one per pattern
// (what `apkgen init --pattern ID` starts from) and a mixed estate.
package examples

import "embed"

// FS holds the examples, <pattern>.yaml and mixed.yaml.
//
//go:embed *.yaml
var FS embed.FS
