package fieldmanager

import (
	"encoding/base64"
	"fmt"
	"math"
	"reflect"
	"strings"
	"sync"

	"k8s.io/apimachinery/pkg/runtime"
	"sigs.k8s.io/structured-merge-diff/v6/value"
)

// converterCache holds, per Go type of an object, the conversion plan
// toUnstructured follows (nil: the type has a shape plans do not cover and
// runtime's converter is used). Plans are read-only once built.
type converterCache struct {
	mu    sync.RWMutex
	plans map[reflect.Type]*convPlan
}

// toUnstructured returns what runtime.DefaultUnstructuredConverter's
// ToUnstructured returns for obj, equal under reflect.DeepEqual (same
// values, same nil and empty maps and slices, same int64 and float64
// numbers, same errors' presence). Instead of looking up every struct
// field's JSON name and every value's custom converter in the runtime's
// shared caches, and allocating a reflect slot per value, it follows a
// plan built once per type. Types with shapes the plan does not cover
// (interface or array fields, non-string map keys, unexported fields,
// embedded-by-tag structs) go to runtime's converter.
func (m *Manager) toUnstructured(obj runtime.Object) (map[string]interface{}, error) {
	rv := reflect.ValueOf(obj)
	if _, ok := obj.(runtime.Unstructured); ok || rv.Kind() != reflect.Pointer || rv.IsNil() {
		return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	}
	t := rv.Type().Elem()
	p, _ := cached(&m.convs.mu, &m.convs.plans, t, func() (*convPlan, error) { return newPlan(t), nil })
	if p == nil {
		return runtime.DefaultUnstructuredConverter.ToUnstructured(obj)
	}
	u := make(map[string]interface{}, p.sizeHint(rv.Elem()))
	if err := p.fillStruct(rv.Elem(), u); err != nil {
		return nil, err
	}
	return u, nil
}

// convPlan converts values of one Go type as runtime's converter does.
type convPlan struct {
	kind reflect.Kind
	// custom is set when the type converts itself (JSON marshaler or
	// unstructured converter); it is then used as the runtime does.
	custom *value.TypeReflectCacheEntry
	// byAddr, when set, converts an addressable value of a custom type
	// as custom does, without copying the value into an interface.
	byAddr func(reflect.Value) (interface{}, error)
	elem   *convPlan // pointers, slices, maps
	bytes  bool      // a slice of bytes: base64 text
	// slot: a map's values do not convert differently when addressable,
	// so they may be read into a reused variable.
	slot   bool
	fields []convField
}

// convField is one struct field: written under name, or, when inline, its
// fields are written into the enclosing object.
type convField struct {
	index     int
	name      string
	inline    bool
	omitempty bool
	omitzero  func(reflect.Value) bool
	plan      *convPlan
}

// newPlan returns the plan of struct type t, nil when some type reachable
// from it has a shape plans do not cover.
func newPlan(t reflect.Type) *convPlan {
	b := planBuilder{plans: map[reflect.Type]*convPlan{}}
	p := b.plan(t)
	if b.unsupported || p.custom != nil || p.kind != reflect.Struct {
		return nil
	}
	return p
}

type planBuilder struct {
	plans       map[reflect.Type]*convPlan
	unsupported bool
}

func (b *planBuilder) plan(t reflect.Type) *convPlan {
	if p, ok := b.plans[t]; ok {
		return p // possibly still being built: types may be recursive
	}
	p := &convPlan{kind: t.Kind()}
	b.plans[t] = p
	if e := value.TypeReflectEntryOf(t); e.CanConvertToUnstructured() {
		p.custom = e
		if t.Kind() != reflect.Pointer {
			p.byAddr = convertByAddr(t)
		}
		return p
	}
	if isScalarKind(t.Kind()) {
		return p
	}
	switch t.Kind() {
	case reflect.Pointer:
		p.elem = b.plan(t.Elem())
	case reflect.Slice:
		if p.bytes = t.Elem().Kind() == reflect.Uint8; !p.bytes {
			p.elem = b.plan(t.Elem())
		}
	case reflect.Map:
		if t.Key().Kind() != reflect.String {
			b.unsupported = true
			return p
		}
		p.elem = b.plan(t.Elem())
		p.slot = !addrSensitive(t.Elem(), map[reflect.Type]bool{})
	case reflect.Struct:
		b.structFields(t, p)
	default:
		b.unsupported = true
	}
	return p
}

// structFields names t's fields as runtime's converter does: the JSON tag's
// name, the Go name without one, inline for embedded fields without a name.
func (b *planBuilder) structFields(t reflect.Type, p *convPlan) {
	for i := 0; i < t.NumField(); i++ {
		sf := t.Field(i)
		if !sf.IsExported() {
			b.unsupported = true
			return
		}
		f := convField{index: i}
		tag, ok := sf.Tag.Lookup("json")
		items := strings.Split(tag, ",")
		if ok && tag != "" {
			f.name = items[0]
		}
		if f.name == "" && !sf.Anonymous {
			f.name = sf.Name
		}
		for _, d := range items[1:] {
			switch d {
			case "omitempty":
				f.omitempty = true
			case "omitzero":
				f.omitzero = value.OmitZeroFunc(sf.Type)
			case "embed":
				b.unsupported = true // inline by tag from go1.27 on
				return
			}
		}
		if f.name == "-" {
			continue
		}
		f.plan = b.plan(sf.Type)
		if f.inline = f.name == ""; f.inline && !inlinable(sf.Type, f.plan) {
			b.unsupported = true
			return
		}
		p.fields = append(p.fields, f)
	}
}

// inlinable reports whether an inline field's values are written as the
// plan's struct fields: a struct, or a pointer to one, without custom
// conversion.
func inlinable(t reflect.Type, p *convPlan) bool {
	if p.custom != nil {
		return false
	}
	if t.Kind() == reflect.Pointer {
		return inlinable(t.Elem(), p.elem)
	}
	return t.Kind() == reflect.Struct
}

// convert is runtime's toUnstructured into an empty interface slot: nil
// stands for a slot left unset.
func (p *convPlan) convert(v reflect.Value) (interface{}, error) {
	if p.custom != nil {
		if p.byAddr != nil && v.CanAddr() {
			return p.byAddr(v)
		}
		return p.custom.ToUnstructured(v)
	}
	switch p.kind {
	case reflect.Pointer:
		if v.IsNil() {
			return nil, nil
		}
		return p.elem.convert(v.Elem())
	case reflect.Struct:
		u := make(map[string]interface{}, p.sizeHint(v))
		if err := p.fillStruct(v, u); err != nil {
			return nil, err
		}
		return u, nil
	case reflect.Slice:
		return p.convertSlice(v)
	case reflect.Map:
		return p.convertMap(v)
	}
	return scalar(v)
}

// scalar converts a value of a string, bool or number kind.
func scalar(v reflect.Value) (interface{}, error) {
	switch v.Kind() {
	case reflect.String:
		return v.String(), nil
	case reflect.Bool:
		return v.Bool(), nil
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int(), nil
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		if n := v.Uint(); n <= math.MaxInt64 {
			return int64(n), nil
		}
		return nil, fmt.Errorf("unsigned value %d does not fit into int64 (overflow)", v.Uint())
	case reflect.Float32, reflect.Float64:
		return v.Float(), nil
	}
	return nil, fmt.Errorf("unrecognized type: %v", v.Kind())
}

func (p *convPlan) convertSlice(v reflect.Value) (interface{}, error) {
	if v.IsNil() {
		return nil, nil
	}
	if p.bytes {
		return base64.StdEncoding.EncodeToString(v.Bytes()), nil
	}
	out := make([]interface{}, v.Len())
	for i := range out {
		item, err := p.elem.convert(v.Index(i))
		if err != nil {
			return nil, err
		}
		out[i] = item
	}
	return out, nil
}

func (p *convPlan) convertMap(v reflect.Value) (interface{}, error) {
	if v.IsNil() {
		return nil, nil
	}
	out := make(map[string]interface{}, v.Len())
	key := reflect.New(v.Type().Key()).Elem()
	var val reflect.Value
	if p.slot {
		val = reflect.New(v.Type().Elem()).Elem()
	}
	for it := v.MapRange(); it.Next(); {
		key.SetIterKey(it)
		item := val
		if p.slot {
			val.SetIterValue(it)
		} else {
			item = it.Value()
		}
		conv, err := p.elem.convert(item)
		if err != nil {
			return nil, err
		}
		out[key.String()] = conv
	}
	return out, nil
}

// fillStruct writes struct value v's fields into u: fields of scalar kinds
// directly (runtime's converter does not ask them for a custom
// conversion), the others through their plans, omitted as their tags say.
func (p *convPlan) fillStruct(v reflect.Value, u map[string]interface{}) error {
	for i := range p.fields {
		f := &p.fields[i]
		fv := v.Field(f.index)
		if (f.omitempty && isEmptyValue(fv)) || (f.omitzero != nil && f.omitzero(fv)) {
			continue
		}
		if f.inline {
			if err := f.plan.fillInline(fv, u); err != nil {
				return err
			}
			continue
		}
		convert := f.plan.convert
		if isScalarKind(fv.Kind()) {
			convert = scalar
		}
		item, err := convert(fv)
		if err != nil {
			return err
		}
		u[f.name] = item
	}
	return nil
}

// sizeHint is how many fields of struct value v fillStruct writes, at
// most: sizing a map for every declared field, as runtime's converter
// does, costs more than filling it when most are omitted.
func (p *convPlan) sizeHint(v reflect.Value) int {
	n := 0
	for i := range p.fields {
		f := &p.fields[i]
		switch {
		case f.inline:
			n += len(f.plan.inlineFields())
		case f.omitempty && isEmptyValue(v.Field(f.index)):
		default:
			n++
		}
	}
	return n
}

// inlineFields are the fields an inline struct (or pointer to one) adds.
func (p *convPlan) inlineFields() []convField {
	if p.kind == reflect.Pointer {
		return p.elem.inlineFields()
	}
	return p.fields
}

// fillInline writes an inline struct (or pointer to one) into u.
func (p *convPlan) fillInline(v reflect.Value, u map[string]interface{}) error {
	if p.kind == reflect.Pointer {
		if v.IsNil() {
			return nil
		}
		return p.elem.fillInline(v.Elem(), u)
	}
	return p.fillStruct(v, u)
}

// isScalarKind reports whether k is a string, bool or number kind.
func isScalarKind(k reflect.Kind) bool {
	switch k {
	case reflect.String, reflect.Bool, reflect.Float32, reflect.Float64,
		reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64,
		reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return true
	}
	return false
}

// isEmptyValue is what omitempty leaves out in runtime's converter.
func isEmptyValue(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Array, reflect.String:
		return v.Len() == 0
	case reflect.Bool:
		return !v.Bool()
	case reflect.Int, reflect.Int8, reflect.Int16, reflect.Int32, reflect.Int64:
		return v.Int() == 0
	case reflect.Uint, reflect.Uint8, reflect.Uint16, reflect.Uint32, reflect.Uint64:
		return v.Uint() == 0
	case reflect.Float32, reflect.Float64:
		return v.Float() == 0
	case reflect.Map, reflect.Slice:
		return v.IsNil() || v.Len() == 0
	case reflect.Pointer, reflect.Interface:
		return v.IsNil()
	}
	return false
}
