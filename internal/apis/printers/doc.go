// Package printers builds the server-side Table view of built-in objects: the
// column definitions and row cells that kube-apiserver returns when kubectl asks
// for `application/json;as=Table;v=v1;g=meta.k8s.io`.
//
// Columns and Cells follow upstream's printers for Kubernetes v1.33 (column names,
// order, types, formats, priorities and cell contents), because kubectl prints
// the server's table verbatim. Cells always include the priority-1 ("wide")
// cells, as upstream's server does; kubectl hides them unless -o wide.
// Kinds without a specific printer get upstream's default table: Name and
// "Created At".
//
// This package must not read the clock (callers pass now), touch storage,
// build the Table envelope or fill row.Object: the API server does those.
package printers
