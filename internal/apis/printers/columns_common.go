package printers

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

// Column types and formats used in TableColumnDefinition.
const (
	typeString  = "string"
	typeInteger = "integer"
	typeBoolean = "boolean"
	typeDate    = "date"
	formatName  = "name"
)

// Shared column descriptions.
const (
	descContainers = "Names of each container in the template."
	descImages     = "Images referenced by each container in the template."
)

// Columns returns the table columns for kind gk; kinds without a specific
// printer get the default columns upstream uses for them: Name (type string,
// format name) and "Created At" (type date).
func Columns(gk schema.GroupKind) []metav1.TableColumnDefinition {
	var cols []metav1.TableColumnDefinition
	switch gk.Group {
	case "":
		cols = coreColumns(gk.Kind)
	case "apps", "batch", "autoscaling", "policy":
		cols = workloadColumns(gk)
	default:
		cols = clusterColumns(gk)
	}
	if cols == nil {
		return DefaultColumns()
	}
	return cols
}

// DefaultColumns are the columns of kinds without a specific printer.
func DefaultColumns() []metav1.TableColumnDefinition {
	return []metav1.TableColumnDefinition{
		nameColumn(),
		{Name: "Created At", Type: typeDate, Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]},
	}
}

func nameColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Name", Type: typeString, Format: formatName,
		Description: metav1.ObjectMeta{}.SwaggerDoc()["name"]}
}

func ageColumn() metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: "Age", Type: typeString,
		Description: metav1.ObjectMeta{}.SwaggerDoc()["creationTimestamp"]}
}

// col is a priority-0 column.
func col(name, typ, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Description: desc}
}

// wide is a priority-1 column, shown by kubectl only with -o wide.
func wide(name, typ, desc string) metav1.TableColumnDefinition {
	return metav1.TableColumnDefinition{Name: name, Type: typ, Priority: 1, Description: desc}
}

// templateColumns are the wide Containers, Images (and optionally Selector)
// columns of the workload kinds.
func templateColumns(selectorDesc string, withSelector bool) []metav1.TableColumnDefinition {
	cols := []metav1.TableColumnDefinition{
		wide("Containers", typeString, descContainers),
		wide("Images", typeString, descImages),
	}
	if withSelector {
		cols = append(cols, wide("Selector", typeString, selectorDesc))
	}
	return cols
}
