package encryption

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// where returns "line N: " for the node at path (map keys and sequence
// indexes) under the document root, or the line of the deepest node that
// exists; "" if the document has no such node at all.
func where(root *yaml.Node, path ...any) string {
	n := root
	if n.Kind == yaml.DocumentNode && len(n.Content) > 0 {
		n = n.Content[0]
	}
	line := 0
	for _, step := range path {
		next := child(n, step)
		if next == nil {
			break
		}
		n, line = next, next.Line
	}
	if line == 0 {
		return ""
	}
	return fmt.Sprintf("line %d: ", line)
}

// child returns the value under key (string) of a mapping or the item at
// index (int) of a sequence.
func child(n *yaml.Node, step any) *yaml.Node {
	switch s := step.(type) {
	case string:
		if n.Kind != yaml.MappingNode {
			return nil
		}
		for i := 0; i+1 < len(n.Content); i += 2 {
			if n.Content[i].Value == s {
				return n.Content[i+1]
			}
		}
	case int:
		if n.Kind == yaml.SequenceNode && s < len(n.Content) {
			return n.Content[s]
		}
	}
	return nil
}

// fieldPath formats a path as "resources[0].providers[1].aescbc".
func fieldPath(path []any) string {
	var b strings.Builder
	for _, step := range path {
		switch s := step.(type) {
		case string:
			if b.Len() > 0 {
				b.WriteByte('.')
			}
			b.WriteString(s)
		case int:
			fmt.Fprintf(&b, "[%d]", s)
		}
	}
	return b.String()
}
